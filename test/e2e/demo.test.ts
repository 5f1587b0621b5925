import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";

/** Demo processes started from this checkout (another checkout's demo on the machine is not ours). */
function demoProcesses(): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter(
      (l) =>
        (l.includes(ROOT) && /dist\/src\/demo\/(supervisor|orders|lb|inventory)\.js/.test(l)) ||
        / orders-v(1|1-baseline|2-good|2-bad)$/.test(l),
    );
}

/**
 * One run of the whole demo, as `make demo` runs it, judged part by part (each part also runs alone
 * with `withstand demo --only NAME`; one run of the whole keeps the suite short).
 */
it("withstand demo: the robust system holds a kill, a slow dependency, a DNS outage and a full disk; the fragile one deviates under the kill, the DNS outage and the full disk; the bad canary is rolled back, the good one promoted; the flags, the game day; nothing is left running", {
  timeout: 480_000,
}, async () => {
  const { env } = isolatedEnv();
  const before = demoProcesses();
  const r = await runCli(["demo"], { env });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /rollout-bad\s+ROLLED-BACK in [\d.]+s: step 2 analysis failed/);
  assert.match(r.stdout, /rollout-good\s+PROMOTED in [\d.]+s: every step passed/);
  assert.match(r.stdout, /robust\s+HELD steady state held/);
  assert.match(
    r.stdout,
    /fragile\s+DEVIATED steady state not met after the method \(probe slo:orders-availability\)/,
  );
  assert.match(r.stdout, /\n {2}dns\s+HELD steady state held/);
  assert.match(
    r.stdout,
    /dns-fragile\s+DEVIATED steady state not met after the method \(probe orders-keep-serving\)/,
  );
  assert.match(r.stdout, /\n {2}disk\s+HELD steady state held/);
  assert.match(
    r.stdout,
    /disk-fragile\s+DEVIATED steady state not met after the method \(probe orders-keep-serving\)/,
  );
  assert.deepEqual(demoProcesses(), before);
  // The robust system also passes the demo's Gossfile, and the synthetic test order runs (stored) all
  // through its replica kill.
  assert.match(r.stdout, /\n {2}checks\s+9\/9 Goss tests passed/);
  assert.match(
    r.stdout,
    /\n {2}synthetic\s+\d+\/\d+ runs of the place-order synthetic passed during the replica kill/,
  );
  const runs = JSON.parse((await runCli(["runs", "--json", "--limit", "100"], { env })).stdout) as {
    runs: { outcome: string; kind: string }[];
  };
  assert.ok(runs.runs.some((x) => x.kind === "synthetic"));
  // Last, the game day (test/e2e/demo-gameday.test.ts): its two steps' runs, then its own.
  assert.match(r.stdout, /\n {2}gameday\s+STOPPED: stop condition orders-answer tripped in step 2/);
  assert.deepEqual(
    runs.runs.filter((x) => x.kind !== "synthetic").map((x) => x.outcome),
    [
      "halted",
      "held",
      "stopped",
      ...["held", "promoted", "rolled-back"], // the flag demo: kill switch, good and buggy pricing
      ...["promoted", "rolled-back", "deviated", "held", "deviated", "held", "held", "deviated", "held"],
    ],
  );
  await flagsPart(r.stdout, env);
  gameDayPart(r.stdout);
});

/**
 * The flags part: orders reads `new-pricing` over OFREP from the demo's flag server; the buggy pricing's
 * flag rollout is rolled back by analysis, the good one promoted to 100%, and the recommendations kill
 * switch flipped off while orders are served holds. Every flip is in the flag audit log of the store.
 */
async function flagsPart(stdout: string, env: NodeJS.ProcessEnv): Promise<void> {
  assert.match(stdout, /flag-rollout-bad ROLLED-BACK in [\d.]+s: step 2 analysis failed/);
  assert.match(stdout, /flag-rollout-good PROMOTED in [\d.]+s: every step passed/);
  assert.match(stdout, /kill-switch\s+HELD steady state held/);
  assert.match(stdout, /weight canary 10% \(step 1 \(flag new-pricing: old 90%, new 0%, new-buggy 10%\)\)/);
  assert.match(stdout, /weight canary 50% \(step 3 \(flag new-pricing: old 50%, new 50%, new-buggy 0%\)\)/);
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
}

/** The game day: the second step trips the stop condition, everything is reverted (timed), the third never starts, the notes and the report are written. */
function gameDayPart(stdout: string): void {
  assert.match(stdout, /step 1\/3 slow inventory for one replica started/);
  assert.match(stdout, /step 1 slow inventory for one replica: held/);
  assert.match(stdout, /STOP CONDITION orders-answer tripped: \{"status":503/);
  assert.doesNotMatch(stdout, /step 3\/3/);
  assert.match(
    stdout,
    /stop condition orders-answer tripped: everything reverted (\d+) ms later \(evaluated every 500 ms\)/,
  );
  const md = /report: (\S+\.md)\n/.exec(stdout)?.[1];
  const html = /report: (\S+\.html)\n/.exec(stdout)?.[1];
  assert.ok(md && html && existsSync(md) && existsSync(html), stdout);
  const text = readFileSync(md, "utf8");
  // Both observers' notes, the injections of step 2 and the stop condition are in the postmortem.
  assert.match(text, /latency on one replica's inventory is invisible through the load balancer/);
  assert.match(text, /orders needs a fallback when inventory is unreachable everywhere/);
  assert.match(text, /orders-answer/);
  assert.match(text, /cut-inventory-3/);
  assert.match(readFileSync(html, "utf8"), /<svg[^>]*aria-label="game day timeline"/);
}
