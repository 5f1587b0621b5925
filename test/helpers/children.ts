import type { ChildProcess } from "node:child_process";
import { after } from "node:test";
import { stopChild } from "./processes.js";

/**
 * Every process the helpers start (the CLI, targets, victims) is tracked here, and whatever is still
 * running when a test file ends is stopped (SIGTERM, then SIGKILL), whether its tests passed or
 * failed: a failed assertion never leaves a runner, a stressor's 160 MiB or a server behind for the
 * next `make test` on the machine. Tests still stop their own processes in their teardowns; this is
 * the net under them.
 */
const running = new Set<ChildProcess>();

export function track<C extends ChildProcess>(child: C): C {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

// Only under the test runner (bench scripts import the helpers too and have no root test).
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  after(async () => {
    await Promise.all([...running].map((c) => stopChild(c, 5000)));
  });
  // A file that times out is ended by the runner with SIGTERM, and no `after` hook runs then: its
  // children get SIGTERM too (a withstand runner reverts its faults and exits), never orphaned.
  const stopAll = () => {
    for (const c of running) c.kill("SIGTERM");
  };
  process.once("exit", stopAll);
  process.once("SIGTERM", () => {
    stopAll();
    process.exit(143);
  });
}
