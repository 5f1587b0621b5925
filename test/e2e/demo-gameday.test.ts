import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

it("withstand demo --only gameday: the second step trips the stop condition, everything is reverted (timed), the third never starts, the notes and the report are written", async () => {
  const { env } = isolatedEnv();
  const r = await runCli(["demo", "--only", "gameday"], { env });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /step 1\/3 slow inventory for one replica started/);
  assert.match(r.stdout, /step 1 slow inventory for one replica: held/);
  assert.match(r.stdout, /STOP CONDITION orders-answer tripped: \{"status":503/);
  assert.doesNotMatch(r.stdout, /step 3\/3/);
  const reverted =
    /stop condition orders-answer tripped: everything reverted (\d+) ms later \(evaluated every 500 ms\)/.exec(
      r.stdout,
    );
  assert.ok(reverted, r.stdout);
  assert.match(r.stdout, /\n {2}gameday\s+STOPPED: stop condition orders-answer tripped in step 2/);
  const md = /report: (\S+\.md)\n/.exec(r.stdout)?.[1];
  const html = /report: (\S+\.html)\n/.exec(r.stdout)?.[1];
  assert.ok(md && html && existsSync(md) && existsSync(html), r.stdout);
  const text = readFileSync(md, "utf8");
  // Both observers' notes, the injections of step 2 and the stop condition are in the postmortem.
  assert.match(text, /latency on one replica's inventory is invisible through the load balancer/);
  assert.match(text, /orders needs a fallback when inventory is unreachable everywhere/);
  assert.match(text, /orders-answer/);
  assert.match(text, /cut-inventory-3/);
  assert.match(readFileSync(html, "utf8"), /<svg[^>]*aria-label="game day timeline"/);
  const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
    runs: { outcome: string; kind: string }[];
  };
  assert.deepEqual(
    runs.runs.map((x) => `${x.kind} ${x.outcome}`),
    ["experiment halted", "experiment held", "gameday stopped"],
  );
});
