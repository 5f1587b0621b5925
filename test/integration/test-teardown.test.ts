import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { finished } from "../helpers/cli.js";
import { ROOT } from "../helpers/paths.js";
import { stateOf, until } from "../helpers/processes.js";

it("a test file the runner times out leaves none of the processes it started running", async (t) => {
  const file = join(ROOT, "dist", "test", "fixtures", "teardown", "hangs.js");
  const runner = spawn(process.execPath, ["--test", "--test-timeout=20000", "--test-reporter=tap", file], {
    stdio: ["ignore", "pipe", "pipe"],
    // A test run of its own, not a file of this one.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_TEST_CONTEXT")),
  });
  let pid = 0;
  t.after(() => {
    if (pid > 0 && stateOf(pid) !== undefined) process.kill(pid, "SIGKILL");
  });
  const r = await finished(runner);
  pid = Number(/proxy pid (\d+)/.exec(r.stdout)?.[1] ?? 0);
  assert.ok(pid > 0, r.stdout + r.stderr);
  assert.match(r.stdout, /timed out/);
  // The file was ended by its timeout, with no `after` hook run: the proxy is stopped all the same.
  await until(() => stateOf(pid) === undefined || stateOf(pid) === "Z", 10_000, "the proxy to be stopped");
});
