/**
 * What a new user met: a stop condition naming a file that is not there, a step with two kinds, a
 * misspelt alert, problems reported in rounds, and a trip with nothing held reported as a revert time.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

function experiment(dir: string, name = "step.yaml"): string {
  writeFileSync(
    join(dir, name),
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: step}
spec:
  title: a step
  method:
    - type: probe
      name: true
      provider: {type: process, path: "true"}
`,
  );
  return name;
}

function gameDay(dir: string, body: string): string {
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1\nkind: GameDay\nmetadata: {name: gd}\nspec:\n  title: checks\n${body}`,
  );
  return file;
}

describe("a game day's stop conditions and steps are checked before anything runs", () => {
  const conditions: [string, string, RegExp][] = [
    [
      "slo",
      "    - {slo: nope.yaml, alert: page}\n",
      /gameday\.yaml:9:13: spec\.stopConditions\[0\]\.slo: .*nope\.yaml does not exist \(expected an OpenSLO file/,
    ],
    [
      "goss",
      "    - {type: probe, name: g, provider: {type: goss, file: nope-goss.yaml}}\n",
      /gameday\.yaml:9:\d+: spec\.stopConditions\[0\]\.provider\.file: .*nope-goss\.yaml does not exist \(expected a Gossfile/,
    ],
    [
      "synthetic",
      "    - {type: probe, name: s, provider: {type: synthetic, file: nope-syn.yaml}}\n",
      /gameday\.yaml:9:\d+: spec\.stopConditions\[0\]\.provider\.file: .*nope-syn\.yaml does not exist \(expected a Synthetic file/,
    ],
    [
      "pact",
      '    - {type: probe, name: p, provider: {type: pact, pact: nope.json, provider: "http://127.0.0.1:9"}}\n',
      /gameday\.yaml:9:\d+: spec\.stopConditions\[0\]\.provider\.pact: .*nope\.json does not exist \(expected a pact file/,
    ],
  ];
  for (const [kind, condition, where] of conditions)
    it(`a missing ${kind} file is exit 2 at file:line:col for validate, --dry-run and the run`, async () => {
      const { dir, env } = isolatedEnv();
      const step = experiment(dir);
      const file = gameDay(dir, `  steps:\n    - file: ${step}\n  stopConditions:\n${condition}`);
      for (const args of [
        ["validate", file],
        ["gameday", file, "--dry-run"],
        ["gameday", file],
      ]) {
        const r = await runCli(args, { env });
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout + r.stderr, where);
        assert.doesNotMatch(r.stdout, /HELD|step 1\/1/);
      }
    });

  it("an SLO file that is no OpenSLO SLO is exit 2 at the condition", async () => {
    const { dir, env } = isolatedEnv();
    const step = experiment(dir);
    const file = gameDay(dir, `  steps:\n    - file: ${step}\n  stopConditions:\n    - {slo: ${step}}\n`);
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr + r.stdout,
      /gameday\.yaml:9:13: spec\.stopConditions\[0\]\.slo: .*step\.yaml has no OpenSLO SLO/,
    );
  });

  it("names every problem at once, each at its key: two kinds in a step, a misspelt alert, a missing file, a bad time", async () => {
    const { dir, env } = isolatedEnv();
    const step = experiment(dir);
    const file = gameDay(
      dir,
      `  announcedFor: tomorrow
  interval: 0s
  steps:
    - file: ${step}
    - file: ${step}
      experiment: {title: inline, method: [{type: probe, name: t, provider: {type: process, path: "true"}}]}
    - file: missing.yaml
  stopConditions:
    - {slo: nope.yaml, alert: pge}
`,
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(
      out,
      /gameday\.yaml:11:7: spec\.steps\[1\]\.experiment: expected exactly one of file, experiment \(got file, experiment\)/,
    );
    assert.match(
      out,
      /gameday\.yaml:14:31: spec\.stopConditions\[0\]\.alert: got the string "pge" \(expected "page" or "ticket"\)/,
    );
    assert.match(out, /gameday\.yaml:14:13: spec\.stopConditions\[0\]\.slo: .*nope\.yaml does not exist/);
    assert.match(out, /gameday\.yaml:12:13: spec\.steps\[2\]\.file: .*missing\.yaml does not exist/);
    assert.match(out, /gameday\.yaml:6:17: spec\.announcedFor: got "tomorrow"/);
    assert.match(out, /gameday\.yaml:7:13: spec\.interval: must be more than 0/);
    assert.doesNotMatch(out, /unexpected shape/);
  });
});

describe("stop to reverted measures what was held", () => {
  it("a trip during a step that holds nothing (a shell's sleep) ends it at once and says nothing was to revert", async () => {
    const { dir, env } = isolatedEnv();
    const go = join(dir, "GO");
    const file = gameDay(
      dir,
      `  interval: 0.2
  steps:
    - name: wait
      experiment:
        title: wait
        method:
          - type: action
            name: sleep
            provider: {type: process, path: sh, arguments: ${JSON.stringify(`-c 'touch ${go}; sleep 600'`)}}
  stopConditions:
    - type: probe
      name: go-absent
      provider: {type: process, path: sh, arguments: ["-c", "! test -e '${go}'"]}
      tolerance: 0
`,
    );
    // Without the stop ending the sleep, the game day would wait out its 600 s (past the test's timeout).
    const r = await runCli(["gameday", file], { env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /STOP CONDITION go-absent tripped/);
    assert.match(r.stdout, /nothing to revert/);
    assert.doesNotMatch(r.stdout, /everything reverted/);
    const times = await runCli(["gameday", "times", "checks", "--json"], { env });
    assert.equal(times.code, 0, times.stderr);
    const t = JSON.parse(times.stdout) as { stopToReverted: { samples: number; nothingHeld: number } };
    assert.deepEqual([t.stopToReverted.samples, t.stopToReverted.nothingHeld], [0, 1]);
  });
});
