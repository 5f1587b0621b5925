/**
 * An observer's note (or a game day's title) is untrusted text: a terminal escape sequence in it is shown
 * on the runner's terminal as visible escapes, never obeyed (no colours, no window title, no erased line
 * that a fake "STOP CONDITION none tripped" overwrites).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

const HOSTILE = "\u001b[31mRED\u001b[0m \u001b]0;title\u0007 \u001b[2K\rFAKE: STOP CONDITION none tripped";

it("a note's control characters reach the runner's terminal as visible escapes", async () => {
  const { dir, env } = isolatedEnv();
  const go = join(dir, "go");
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: "notes \\e[2Jwiped <script>alert(1)</script>"
  hypothesis: "<img src=x onerror=alert('hyp')> | a | b"
  steps:
    - name: wait
      experiment:
        title: wait
        method:
          - type: action
            name: wait-for-go
            provider:
              type: process
              path: sh
              arguments: ["-c", "for i in $(seq 600); do [ -e '${go}' ] && exit 0; sleep 0.1; done; exit 1"]
`,
  );
  const runner = startCli(["gameday", file], { env });
  const done = finished(runner);
  await waitForOutput(runner, /step 1\/1/);
  const note = await runCli(["gameday", "note", HOSTILE, "--author", "mal\u001b[8m"], { env });
  assert.equal(note.code, 0, note.stderr);
  const html = await runCli(
    [
      "gameday",
      "note",
      "<img src=x onerror=alert(1)> | broken | cells",
      "--author",
      "<b>eve</b>",
      "--kind",
      "bad",
    ],
    { env },
  );
  assert.equal(html.code, 0, html.stderr);
  writeFileSync(go, "");
  const r = await done;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const controls = [...r.stdout].filter((c) => (c < " " && c !== "\n") || c === "\u007f");
  assert.deepEqual(controls, [], JSON.stringify(r.stdout));
  assert.ok(
    r.stdout.includes("note by mal\\e[8m: \\e[31mRED\\e[0m \\e]0;title\\x07 \\e[2K\\rFAKE"),
    r.stdout,
  );
  assert.ok(r.stdout.includes("game day notes \\e[2Jwiped <script>"), r.stdout);
  // Recorded as taken: the timeline holds the visible form too.
  const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
    runs: { id: string; kind: string }[];
  };
  const gd = runs.runs.find((x) => x.kind === "gameday");
  assert.ok(gd);
  const shown = JSON.parse((await runCli(["runs", "show", gd.id, "--json"], { env })).stdout) as {
    events: { type: string; text?: string }[];
  };
  const text = shown.events.find((e) => e.type === "note")?.text ?? "";
  assert.ok(text.startsWith("\\e[31mRED"), text);
});

it("a Markdown report shows untrusted text as text: no raw HTML, no broken table", async () => {
  const { dir, env } = isolatedEnv();
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: "GD <img src=x onerror=alert('title')><script>alert(1)</script>"
  hypothesis: "<script>alert('hyp')</script>"
  participants: {owner: "<b>ana</b>", coordinator: "bo | x", reporter: cy}
  steps:
    - name: "<svg onload=alert('step')> | pipe"
      experiment:
        title: "exp <script>alert('exp')</script>"
        method:
          - {type: action, name: ok, provider: {type: process, path: "true"}}
`,
  );
  const r = await runCli(["gameday", file], { env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
    runs: { id: string; kind: string }[];
  };
  const gd = runs.runs.find((x) => x.kind === "gameday");
  assert.ok(gd);
  const md = (await runCli(["report", gd.id, "--format", "md"], { env })).stdout;
  assert.doesNotMatch(md, /<script|<img|<svg|<b>/i, md);
  assert.match(md, /# Game day: GD &lt;img src=x onerror=alert\('title'\)&gt;&lt;script&gt;/);
  assert.match(md, /\| coordinator \| bo \\\| x \|/);
  // The step's row keeps its five columns.
  const row = md.split("\n").find((l) => l.startsWith("| 1 |")) ?? "";
  assert.equal(row.split(/(?<!\\)\|/).length, 7, row);
  // The HTML report (built from the Markdown) shows the text once escaped, not twice.
  const page = (await runCli(["report", gd.id, "--format", "html"], { env })).stdout;
  assert.doesNotMatch(page, /<script>alert|&amp;lt;/);
  assert.ok(
    page.includes("&lt;script&gt;alert(&#39;hyp&#39;)") || page.includes("&lt;script&gt;alert('hyp')"),
    page,
  );
  // A run report (an experiment's) escapes its title too.
  const exp = runs.runs.find((x) => x.kind === "experiment");
  assert.ok(exp);
  const expMd = (await runCli(["report", exp.id, "--format", "md"], { env })).stdout;
  assert.doesNotMatch(expMd, /<script/i, expMd);
});
