/**
 * A full disk behind stdout or stderr (/dev/full: every write fails with ENOSPC) neither crashes a run
 * nor changes its exit code or its record, and a usage error still exits 2 (#25 item 8).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { after, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { pauseExperiment } from "../helpers/experiments.js";
import { BIN, isolatedEnv, ROOT } from "../helpers/paths.js";

const sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
after(() => sleeper.kill("SIGKILL"));

/** Runs the CLI with stdout and/or stderr on /dev/full; resolves with the exit code and what it could say. */
function runOnFull(
  args: string[],
  env: NodeJS.ProcessEnv,
  full: { stdout: boolean; stderr: boolean },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const fd = openSync("/dev/full", "w");
  const child = spawn(BIN, args, {
    cwd: ROOT,
    env,
    stdio: ["ignore", full.stdout ? fd : "pipe", full.stderr ? fd : "pipe"],
  });
  closeSync(fd);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

function state(pid: number): string {
  return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "?";
}

for (const json of [false, true])
  it(`a run whose stdout is full${json ? " (--json)" : ""} completes, reverts and exits as it records`, async () => {
    const { dir, env } = isolatedEnv();
    const file = pauseExperiment(dir, "full", sleeper.pid ?? 0, "1s");
    const r = await runOnFull(["run", file, ...(json ? ["--json"] : [])], env, {
      stdout: true,
      stderr: false,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|ENOSPC: no space left on device, write\n\s+at/);
    assert.match(r.stderr, /cannot write to standard output \(ENOSPC\)/);
    assert.notEqual(state(sleeper.pid ?? 0), "T", "the paused process was resumed");
    const list = await runCli(["runs", "--json"], { env });
    const runs = JSON.parse(list.stdout) as { runs: { id: string; exitCode: number; status: string }[] };
    assert.equal(runs.runs.length, 1, list.stdout);
    assert.equal(runs.runs[0]?.exitCode, r.code);
    assert.equal(runs.runs[0]?.status, "completed");
  });

it("a run whose stderr and stdout are both full still exits with its own code", async () => {
  const { dir, env } = isolatedEnv();
  const file = pauseExperiment(dir, "both", sleeper.pid ?? 0, "500ms");
  const r = await runOnFull(["run", file], env, { stdout: true, stderr: true });
  assert.equal(r.code, 0);
});

it("a usage error exits 2 when stderr is full", async () => {
  const { env } = isolatedEnv();
  const r = await runOnFull(["run", "--no-such-flag"], env, { stdout: false, stderr: true });
  assert.equal(r.code, 2);
  const v = await runOnFull(["validate", "/nonexistent/file.yaml"], env, { stdout: true, stderr: true });
  assert.equal(v.code, 2);
});
