/**
 * A stop ends an in-flight `process` action at once: SIGTERM to the program and everything it started,
 * SIGKILL after a short grace. A shell's `sleep` (which holds the output pipes after the shell is gone)
 * no longer keeps a halted run waiting until it ends by itself.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { until } from "../helpers/processes.js";

const leftovers: number[] = [];
after(() => {
  for (const pid of leftovers)
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** An experiment whose one action runs `script` through a shell: it starts a 600 s sleep and waits for it. */
function slowRun(script: (pidFile: string) => string) {
  const { dir, env } = isolatedEnv();
  const pidFile = join(dir, "sleep.pid");
  const file = join(dir, "slow.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: slow-action}
spec:
  title: slow action
  method:
    - type: action
      name: wait
      provider: {type: process, path: sh, arguments: ${JSON.stringify(`-c '${script(pidFile)}'`)}}
`,
  );
  const runner = startCli(["run", file], { env });
  return { env, pidFile, runner, done: finished(runner) };
}

async function sleeperPid(pidFile: string): Promise<number> {
  await until(
    () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "",
    20_000,
    "the action to start",
  );
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  leftovers.push(pid);
  return pid;
}

describe("a stop ends the in-flight process action", () => {
  it("withstand halt ends a shell's sleep at once: the run ends halted, the sleep is gone", async () => {
    const { env, pidFile, done } = slowRun((p) => `sleep 600 & echo $! > ${p}; wait`);
    const pid = await sleeperPid(pidFile);
    const halt = await runCli(["halt"], { env });
    assert.equal(halt.code, 0, halt.stdout + halt.stderr);
    // Without the fix the run waits for the sleep's 600 s (past the test's timeout).
    const r = await done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /HALTED halted by withstand halt/);
    await until(() => !alive(pid), 10_000, "the sleep to end");
  });

  it("SIGTERM to the runner ends a program that ignores SIGTERM: SIGKILL after the grace", async () => {
    const { pidFile, runner, done } = slowRun((p) => `trap "" TERM; sleep 600 & echo $! > ${p}; wait`);
    const pid = await sleeperPid(pidFile);
    runner.kill("SIGTERM");
    const r = await done;
    assert.notEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /INTERRUPTED|HALTED/);
    await until(() => !alive(pid), 10_000, "the sleep to end");
  });
});
