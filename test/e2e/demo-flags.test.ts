/**
 * `withstand demo --only flags`: the orders service reads `new-pricing` over OFREP from the demo's flag
 * server; the buggy pricing's flag rollout is rolled back by analysis, the good one promoted to 100%,
 * and the recommendations kill switch flipped off while orders are served holds. Every flip is in the
 * flag audit log of the store the demo used.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

it("withstand demo --only flags: the buggy pricing is rolled back, the good one promoted, the kill switch holds", async () => {
  const { env } = isolatedEnv();
  const r = await runCli(["demo", "--only", "flags"], { env });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /flag-rollout-bad ROLLED-BACK in [\d.]+s: step 2 analysis failed/);
  assert.match(r.stdout, /flag-rollout-good PROMOTED in [\d.]+s: every step passed/);
  assert.match(r.stdout, /kill-switch\s+HELD steady state held/);
  assert.match(r.stdout, /weight canary 10% \(step 1 \(flag new-pricing: old 90%, new 0%, new-buggy 10%\)\)/);
  assert.match(r.stdout, /weight canary 50% \(step 3 \(flag new-pricing: old 50%, new 50%, new-buggy 0%\)\)/);
  const log = await runCli(["flags", "log", "--json", "--limit", "50"], { env });
  const changes = (
    JSON.parse(log.stdout) as { changes: { flag: string; actor: string; reason: string }[] }
  ).changes
    .map((c) => `${c.flag} ${c.actor}: ${c.reason}`)
    .reverse();
  assert.ok(
    changes.some((c) =>
      /^new-pricing demo: rollout buggy-pricing: rolled back: step 2 analysis failed/.test(c),
    ),
    changes.join("\n"),
  );
  assert.ok(changes.includes("new-pricing demo: rollout new-pricing: promoted"), changes.join("\n"));
  // The kill switch: flipped off by the fault, then back on when its lease was released.
  const switches = changes.filter((c) => c.startsWith("recommendations"));
  assert.deepEqual(switches, [
    "recommendations demo: fault recommendations-off",
    "recommendations demo: lease released: change undone (fault recommendations-off)",
  ]);
});
