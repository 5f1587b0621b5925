import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

it("withstand demo: the robust system holds a kill, a slow dependency, a DNS outage and a full disk; the fragile one deviates under the kill, the DNS outage and the full disk; the bad canary is rolled back, the good one promoted; nothing is left running", async () => {
  const { env } = isolatedEnv();
  const before = demoProcesses();
  const started = Date.now();
  const r = await runCli(["demo"], { env });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(Date.now() - started < 150_000);
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
});
