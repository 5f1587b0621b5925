import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStore } from "../../src/store/open.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { pauseExperiment, writeExperiment } from "../helpers/experiments.js";
import { BIN, isolatedEnv } from "../helpers/paths.js";
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

async function pausedRun(extra: string[] = [], moreEnv: Record<string, string> = {}) {
  const isolated = isolatedEnv();
  const dir = isolated.dir;
  const env = { ...isolated.env, ...moreEnv };
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

  it("a crash on a stop path prints its stack and exits 70 (never 1), and the paused process is resumed", async () => {
    const { pid, runner, result } = await pausedRun([], { WITHSTAND_TEST_CRASH: "stop-path" });
    runner.kill("SIGTERM");
    const r = await result;
    assert.equal(r.code, 70, r.stderr);
    assert.match(r.stderr, /internal error WS_INTERNAL: this is a bug in withstand/);
    assert.match(r.stderr, /TypeError: crash in a stop path requested by WITHSTAND_TEST_CRASH\n\s+at /);
    // Reverted by the run itself or, if the crash came first, by its watchdog.
    await until(() => stateOf(pid) !== "T", 5000, "the victim to resume");
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

describe("a killed runner is seen as gone by every reader", () => {
  it("a store opened before the SIGKILL shows the run interrupted, and halt signals no one for it", async () => {
    const { dir, env } = isolatedEnv();
    const file = writeExperiment(dir, "sleepy", [
      { type: "action", name: "hold", provider: { type: "process", path: "sleep", arguments: ["30"] } },
    ]);
    const store = openStore(join(dir, "store.db"));
    try {
      const runner = startCli(["run", file, "--json"], { env });
      const done = finished(runner);
      await waitForOutput(runner, '"type":"activity-started"');
      assert.equal((await store.listRuns())[0]?.status, "running");
      runner.kill("SIGKILL");
      await done;
      // The reader was open all along (as `serve` is): it re-checks the runner, it does not trust the row.
      await until(
        async () => (await store.listRuns())[0]?.status === "interrupted",
        3000,
        "the run to show as interrupted",
      );
      assert.equal((await store.getRun((await store.listRuns())[0]?.id ?? ""))?.status, "interrupted");
      // The runner died before any fault, so no watchdog ran; halt still signals no one and cleans up.
      const halt = await runCli(["halt", "--json"], { env });
      assert.deepEqual(JSON.parse(halt.stdout).runs, []);
      assert.deepEqual(readdirSync(join(dir, "state", "runs")), []);
    } finally {
      await store.close();
    }
  });
});

describe("the kill switch never hits the wrong process", () => {
  it("a process that took a dead runner's pid survives halt, and the stale entry is removed", async () => {
    const { dir, env } = isolatedEnv();
    const bystander = startVictim("withstand-bystander");
    victims.push(bystander);
    const pid = bystander.pid ?? 0;
    const runs = join(dir, "state", "runs");
    mkdirSync(runs, { recursive: true, mode: 0o700 });
    chmodSync(join(dir, "state"), 0o700);
    // The entry a runner wrote before it died; its pid now belongs to the bystander (another start time).
    writeFileSync(
      join(runs, "dead-run.json"),
      JSON.stringify({
        runId: "dead-run",
        pid,
        starttime: 1,
        title: "died early",
        startedAt: "2026-01-01T00:00:00Z",
      }),
      { mode: 0o600 },
    );
    const halt = await runCli(["halt", "--json"], { env });
    assert.equal(halt.code, 0, halt.stderr);
    assert.deepEqual(JSON.parse(halt.stdout).runs, []);
    assert.notEqual(stateOf(pid), undefined, "the bystander is alive");
    assert.deepEqual(readdirSync(runs), []);
  });

  it("refuses a state directory that others can write, or that is a symlink, naming the path (exit 2)", async () => {
    const { dir, env } = isolatedEnv();
    const state = join(dir, "state");
    mkdirSync(join(state, "faults"), { recursive: true });
    chmodSync(state, 0o777);
    const open = await runCli(["halt"], { env });
    assert.equal(open.code, 2);
    assert.equal(
      open.stderr,
      `withstand: error WS_UNSAFE_STATE_DIR: ${state}: is writable by others (mode 777); refusing to use it (expected a directory owned by you with mode 0700; remove it or set WITHSTAND_STATE_DIR)\n`,
    );
    const link = join(dir, "link");
    symlinkSync(state, link);
    const linked = await runCli(["halt"], { env: { ...env, WITHSTAND_STATE_DIR: link } });
    assert.equal(linked.code, 2);
    assert.match(linked.stderr, /link: is a symbolic link; refusing to use it/);
  });

  it("a planted revert that asks for another signal is never sent", async () => {
    const { dir, env } = isolatedEnv();
    const bystander = startVictim("withstand-planted");
    victims.push(bystander);
    const pid = bystander.pid ?? 0;
    const faults = join(dir, "state", "faults");
    mkdirSync(faults, { recursive: true, mode: 0o700 });
    chmodSync(join(dir, "state"), 0o700);
    const starttime = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[19]);
    const planted = (type: string, extra: object) =>
      JSON.stringify({
        id: type,
        runId: "planted",
        runnerPid: 1,
        kind: "process-pause",
        activity: "x",
        targets: [],
        injectedAt: "2026-01-01T00:00:00Z",
        revert: { type, ...extra },
      });
    writeFileSync(
      join(faults, "planted--a.json"),
      planted("signal", { signal: "SIGKILL", targets: [{ pid, starttime }] }),
      { mode: 0o600 },
    );
    writeFileSync(
      join(faults, "planted--b.json"),
      planted("resume", { signal: "SIGKILL", targets: [{ pid, starttime }] }),
      { mode: 0o600 },
    );
    const halt = await runCli(["halt"], { env });
    assert.equal(halt.code, 0, halt.stderr);
    assert.match(halt.stdout, /unknown revert type "signal": left alone/);
    assert.match(halt.stdout, new RegExp(`SIGCONT to ${pid}`));
    assert.equal(stateOf(pid) === undefined || stateOf(pid) === "Z", false, "the bystander was not killed");
  });
});

describe("a zombie runner is a dead runner", () => {
  it("the watchdog reverts a SIGKILLed runner's faults while its parent has not reaped it", async () => {
    const { dir, env } = isolatedEnv();
    const victim = startVictim("withstand-zombie-victim");
    victims.push(victim);
    const pid = victim.pid ?? 0;
    const file = holdPause(dir, pid);
    // A parent that never reaps its child, like a CI wrapper or subprocess.Popen without wait().
    const parent = spawn(
      "python3",
      [
        "-c",
        "import subprocess,sys,time\np=subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\nprint(p.pid, flush=True)\ntime.sleep(60)",
        BIN,
        "run",
        file,
      ],
      { env, stdio: ["ignore", "pipe", "inherit"] },
    );
    let runnerPid = 0;
    try {
      runnerPid = await new Promise<number>((resolve) =>
        parent.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
      );
      await until(() => stateOf(pid) === "T", 10_000, "the victim to be paused");
      process.kill(runnerPid, "SIGKILL");
      await until(() => stateOf(runnerPid) === "Z", 2000, "the runner to be a zombie");
      // Well inside the 5 s lease the old liveness check (kill(pid, 0) succeeds on a zombie) waited for.
      await until(() => stateOf(pid) !== "T", 2500, "the watchdog to resume the victim");
    } finally {
      // The runner too, should the test fail before it was killed: its parent never reaps or stops it.
      if (runnerPid > 0 && stateOf(runnerPid) !== undefined && stateOf(runnerPid) !== "Z")
        process.kill(runnerPid, "SIGKILL");
      parent.kill("SIGKILL");
    }
  });
});

describe("a closed stdout never stops a run", () => {
  it("`run --json | head -1`: the run finishes, reverts its fault and is stored", async () => {
    const { dir, env } = isolatedEnv();
    const victim = startVictim("withstand-epipe-victim");
    victims.push(victim);
    const pid = victim.pid ?? 0;
    const runner = startCli(["run", pauseExperiment(dir, "epipe", pid, "500ms"), "--json"], { env });
    let stderr = "";
    runner.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    // Like `| head -1`: read the first line, then close the pipe while the fault is held.
    await waitForOutput(runner, "\n");
    runner.stdout?.destroy();
    const code = await new Promise<number | null>((resolve) => runner.on("close", (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|internal error/);
    assert.notEqual(stateOf(pid), "T", "the fault was reverted");
    const runs = await runCli(["runs", "--json"], { env });
    assert.equal(JSON.parse(runs.stdout).runs[0]?.status, "completed");
  });

  it("--help and validate into a closed pipe exit quietly", () => {
    for (const args of [["--help"], ["validate", "--help"], ["run", "--help"]]) {
      const out = execFileSync(
        "bash",
        ["-c", `"${BIN}" ${args.join(" ")} | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      assert.match(out.trim(), /^(0|141)$/, `${args.join(" ")} exited ${out.trim()}`);
    }
  });
});
