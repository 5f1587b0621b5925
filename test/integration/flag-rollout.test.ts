/**
 * Flag rollouts against the real things: `withstand flags serve`, the real `withstand rollout` CLI,
 * and an application that evaluates the flag per request through OpenFeature's own OFREP provider.
 * What users see: each setWeight gives the variant that share of a thousand users, and a variant whose
 * users get errors is rolled back to 0% by analysis. Every flip is in the flag server's audit log and
 * in the run record.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { type FlagRolloutRig, share, startFlagRolloutRig, USERS } from "../helpers/flag-rollout.js";
import { stopChild, until } from "../helpers/processes.js";

let rig: FlagRolloutRig;
before(async () => {
  rig = await startFlagRolloutRig();
});
after(() => rig?.close());

describe("a flag rollout", () => {
  it("gives the variant each step's share of users, judges it, and promotes it to 100%", async (t) => {
    const file = rig.rolloutFile(
      "good",
      "new",
      `    - setWeight: 10
    - pause: {}
    - setWeight: 50
    - pause: {}
${rig.analysis}`,
    );
    const rollout = startCli(["rollout", file], { env: rig.env });
    t.after(() => stopChild(rollout));
    const done = finished(rollout);
    await waitForOutput(rollout, /paused.*step 2/);
    const at10 = await share("new");
    assert.ok(Math.abs(at10 - 10) < 3, `10% step: ${at10}% of ${USERS} users got new`);
    const paused4 = waitForOutput(rollout, /paused.*step 4/);
    assert.equal((await runCli(["rollout", "promote", "good"], { env: rig.env })).code, 0);
    await paused4;
    const at50 = await share("new");
    assert.ok(Math.abs(at50 - 50) < 4, `50% step: ${at50}% of ${USERS} users got new`);
    assert.equal((await runCli(["rollout", "promote", "good"], { env: rig.env })).code, 0);
    const r = await done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PROMOTED good/);
    assert.equal(await share("new"), 100, "promoted: every user gets new, after the run too");
    const log = await runCli(["flags", "log", "new-pricing", "--json"], { env: rig.env });
    const reasons = (JSON.parse(log.stdout) as { changes: { reason: string; actor: string }[] }).changes
      .map((c) => `${c.actor}: ${c.reason}`)
      .reverse();
    assert.deepEqual(reasons.slice(-3), [
      "ops: rollout good: step 1",
      "ops: rollout good: step 3",
      "ops: rollout good: promoted",
    ]);
    // Back to the file's 0% for the next test.
    await runCli(
      ["flags", "set", "new-pricing", "--weights", "old=100,new=0,broken=0", "--server", rig.flags.url],
      { env: rig.env },
    );
  });

  it("rolls a variant whose users get errors back to 0%, recorded in the audit log and the run", async () => {
    const file = rig.rolloutFile(
      "bad",
      "broken",
      `    - setWeight: 20
${rig.analysis}    - setWeight: 100
`,
    );
    const r = await runCli(["rollout", file, "--json"], { env: rig.env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(await share("broken"), 0, "no user gets the broken variant after the rollback");
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; weight?: number; reason?: string });
    const weights = events.filter((e) => e.type === "rollout-weight");
    assert.deepEqual(
      weights.map((e) => e.weight),
      [20, 0],
    );
    assert.match(
      weights[1]?.reason ?? "",
      /rolled back: step 2 analysis failed.*old 100%, new 0%, broken 0%/,
    );
    const log = await runCli(["flags", "log", "new-pricing", "--limit", "2", "--json"], { env: rig.env });
    const [last, prior] = (JSON.parse(log.stdout) as { changes: { reason: string; after: unknown }[] })
      .changes;
    assert.match(last?.reason ?? "", /rolled back: step 2 analysis failed/);
    assert.deepEqual((last?.after as { weights?: unknown } | undefined)?.weights, {
      old: 100,
      new: 0,
      broken: 0,
    });
    assert.deepEqual((prior?.after as { weights?: unknown } | undefined)?.weights, {
      old: 80,
      new: 0,
      broken: 20,
    });
  });

  it("does not start when the flag cannot be rolled out, and says where and why (exit 2)", async () => {
    const missing = rig.rolloutFile("missing", "new", "    - setWeight: 10\n").replace(/\.yaml$/, "");
    writeFileSync(
      `${missing}.yaml`,
      readFileSync(`${missing}.yaml`, "utf8").replace("key: new-pricing", "key: nope"),
    );
    const r = await runCli(["rollout", `${missing}.yaml`], { env: rig.env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /^withstand: \S+missing\.yaml:5:9: flag\.key: no flag "nope" on http:\S+ \(expected one of new-pricing\)$/m,
    );
    const wrong = rig.rolloutFile("wrong", "blue", "    - setWeight: 10\n");
    const w = await runCli(["rollout", wrong], { env: rig.env });
    assert.equal(w.code, 2);
    assert.match(
      w.stderr,
      /wrong\.yaml:5:9: flag\.variant: "blue" is not a bucket of new-pricing's fractional \(expected one of old, new, broken\)/,
    );
  });
  it("refuses a second rollout of a flag another run holds, naming it (exit 2), and the holder's share returns to 0% when it dies", async (t) => {
    const a = startCli(
      ["rollout", rig.rolloutFile("holder", "new", "    - setWeight: 10\n    - pause: {}\n")],
      {
        env: rig.env,
      },
    );
    t.after(() => stopChild(a));
    await waitForOutput(a, /paused.*step 2/);
    const b = await runCli(
      ["rollout", rig.rolloutFile("second", "new", "    - setWeight: 50\n    - pause: {}\n")],
      {
        env: rig.env,
      },
    );
    assert.equal(b.code, 2, b.stdout + b.stderr);
    assert.match(
      b.stderr,
      /flag\.key: new-pricing on http:\S+ is held by a lease of ops \(rollout holder: step 1\)/,
    );
    const held = await share("new");
    assert.ok(Math.abs(held - 10) < 3, `the holder's 10% stands: ${held}%`);
    a.kill("SIGKILL");
    await until(async () => (await share("new")) === 0, 15_000, "the holder's share undone by its lease");
  });

  it("says a refused token is a credentials problem (exit 2), not a rolled-back verdict", async () => {
    const file = rig.rolloutFile("badtoken", "new", "    - setWeight: 10\n");
    const r = await runCli(["rollout", file], {
      env: { ...rig.env, WITHSTAND_FLAGS_TOKEN: "not-the-token-0123456789abcdef" },
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /flag\.token: credentials problem: http:\S+ refused the token/);
    assert.doesNotMatch(r.stdout + r.stderr, /ROLLED BACK/);
    assert.equal(await share("new"), 0);
  });
});
