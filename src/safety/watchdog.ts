/**
 * The detached crash watchdog. It outlives a runner that is SIGKILLed and reverts that runner's faults
 * when the runner dies or stops renewing their leases. Usage: watchdog.js STATE_DIR RUN_ID RUNNER_PID
 */
import { isAlive } from "../faults/procfs.js";
import { executeRevert } from "./revert.js";
import { LEASE_MS, listFaults, removeFault, removeRun } from "./state.js";

const [root, runId, pidText] = process.argv.slice(2);
const runnerPid = Number(pidText);
const POLL_MS = 200;

async function sweep(): Promise<boolean> {
  if (!root || !runId) return false;
  const runnerAlive = isAlive(runnerPid);
  for (const { fault, leaseAgeMs } of listFaults(root, runId)) {
    if (runnerAlive && leaseAgeMs < LEASE_MS) continue;
    await executeRevert(fault.revert);
    removeFault(root, fault);
  }
  if (!runnerAlive) removeRun(root, runId);
  return runnerAlive;
}

async function watch(): Promise<void> {
  while (await sweep()) await new Promise((r) => setTimeout(r, POLL_MS));
  process.exit(0);
}
void watch();
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => undefined);
