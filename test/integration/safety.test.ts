import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startTarget, startVictim, stateOf, until } from "../helpers/processes.js";

const victims: ReturnType<typeof startVictim>[] = [];
after(() => {
  for (const v of victims) {
    try {
      process.kill(v.pid ?? 0, "SIGCONT");
    } catch {}
    v.kill("SIGKILL");
  }
});

/** An experiment that pauses the victim (no duration) and then waits, so the pause is held. */
function holdPause(dir: string, pid: number, waitS = 30): string {
  const file = join(dir, "hold.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: hold-a-pause}
spec:
  rollbacks:
    - type: action
      name: note-rollback
      provider: {type: process, path: "true"}
  method:
    - type: action
      name: freeze
      fault: {kind: process-pause, select: {pid: ${pid}}}
    - type: action
      name: wait
      provider: {type: process, path: sleep, arguments: ["${waitS}"]}
`,
  );
  return file;
}

async function pausedRun(extra: string[] = []) {
  const { dir, env } = isolatedEnv();
  const victim = startVictim("withstand-safety-victim");
  victims.push(victim);
  const pid = victim.pid ?? 0;
  const runner = startCli(["run", holdPause(dir, pid), ...extra], { env });
  const result = finished(runner);
  await waitForOutput(runner, /fault process-pause injected|"type":"fault-injected"/);
  // SIGSTOP is delivered asynchronously: the state flips once the kernel has stopped the process.
  await until(() => stateOf(pid) === "T", 2000, "the victim to be stopped");
  return { dir, env, pid, runner, result };
}

describe("every fault reverts on every exit path", () => {
  it("withstand halt resumes the paused process from another terminal and stops the run (exit 3)", async () => {
    const { env, pid, result } = await pausedRun();
    const halt = await runCli(["halt"], { env });
    assert.equal(halt.code, 0);
    assert.match(
      halt.stdout,
      new RegExp(
        `reverted process-pause \\(freeze, run [\\w-]+\\) on process ${pid} .*withstand-safety-victim: SIGCONT to ${pid}`,
      ),
    );
    assert.match(halt.stdout, /stopped run [\w-]+ \(pid \d+\): hold-a-pause/);
    await until(() => stateOf(pid) !== "T", 2000, "the victim to resume");
    const r = await result;
    assert.equal(r.code, 3);
    assert.match(r.stdout, /HALTED halted by withstand halt/);
    const again = await runCli(["halt"], { env });
    assert.equal(again.stdout, "withstand halt: no active faults or runs on this machine\n");
  });

  it("Ctrl-C (SIGINT) interrupts, reverts, and records the run as interrupted", async () => {
    const { env, pid, runner, result } = await pausedRun();
    runner.kill("SIGINT");
    const r = await result;
    assert.equal(r.code, 3);
    await until(() => stateOf(pid) !== "T", 2000, "the victim to resume");
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
      runs: { status: string; outcome: string }[];
    };
    assert.equal(runs.runs[0]?.status, "interrupted");
  });

  it("SIGTERM and --deadline revert too; rollbacks play on a deadline only with the always strategy", async () => {
    const term = await pausedRun();
    term.runner.kill("SIGTERM");
    assert.equal((await term.result).code, 3);
    await until(() => stateOf(term.pid) !== "T", 2000, "the victim to resume");

    const started = Date.now();
    const deadline = await pausedRun(["--deadline", "1s", "--rollback-strategy", "always", "--json"]);
    const r = await deadline.result;
    assert.equal(r.code, 3);
    assert.ok(Date.now() - started < 10_000);
    await until(() => stateOf(deadline.pid) !== "T", 2000, "the victim to resume");
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(events.at(-1).outcome, "deadline");
    assert.ok(events.some((e) => e.type === "activity-finished" && e.name === "note-rollback"));
  });

  it("a SIGKILLed runner's paused process is resumed by the watchdog within 5 s, and the run shows as interrupted", async () => {
    const { env, pid, runner } = await pausedRun();
    runner.kill("SIGKILL");
    const took = await until(() => stateOf(pid) !== "T", 5000, "the watchdog to resume the victim");
    assert.ok(took <= 5000);
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
      runs: { status: string }[];
    };
    assert.equal(runs.runs[0]?.status, "interrupted");
    const halt = await runCli(["halt"], { env });
    assert.equal(halt.stdout, "withstand halt: no active faults or runs on this machine\n");
  });
});

describe("every stop reverts every fault first, then waits for activities", () => {
  /** A paused HTTP server and a probe blocked on it: the run is stuck in the probe while the fault holds. */
  async function blockedRun(signal: NodeJS.Signals | "deadline") {
    const { dir, env } = isolatedEnv();
    const target = await startTarget();
    const pid = target.child.pid ?? 0;
    const file = join(dir, "blocked.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: blocked-probe}
spec:
  method:
    - type: action
      name: freeze
      fault: {kind: process-pause, select: {pid: ${pid}}, duration: 60s}
    - type: probe
      name: stuck
      provider: {type: http, url: "${target.url}/", timeout: 60}
`,
    );
    const runner = startCli(["run", file, ...(signal === "deadline" ? ["--deadline", "1s"] : [])], { env });
    const done = finished(runner);
    try {
      await waitForOutput(runner, /fault process-pause injected/);
      await until(() => stateOf(pid) === "T", 2000, "the target to be stopped");
      if (signal !== "deadline") runner.kill(signal);
      // Far below the fault's 60 s duration and the probe's 60 s timeout: the stop itself reverted it.
      await until(() => stateOf(pid) !== "T", 10_000, "the paused target to be resumed");
      const r = await done;
      assert.equal(r.code, 3, r.stdout + r.stderr);
    } finally {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
      await target.stop();
    }
  }
  it("on Ctrl-C (SIGINT)", () => blockedRun("SIGINT"));
  it("on SIGTERM", () => blockedRun("SIGTERM"));
  it("at the --deadline", () => blockedRun("deadline"));
});
