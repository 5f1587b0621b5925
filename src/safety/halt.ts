import { executeRevert } from "./reverts/index.js";
import { type ActiveFault, listFaults, liveRuns, removeFault, stateDir } from "./state.js";

export interface HaltReport {
  reverted: { fault: ActiveFault; how: string }[];
  runsSignalled: { runId: string; pid: number; title: string }[];
}

/** The kill switch: reverts every active fault of every run on this machine, then tells each runner to stop. */
export async function haltAll(root = stateDir()): Promise<HaltReport> {
  // Every revert starts at once: the kill switch's latency is the slowest revert, not their sum.
  const reverted: HaltReport["reverted"] = await Promise.all(
    listFaults(root).map(async ({ fault }) => {
      const how = await executeRevert(fault.revert);
      removeFault(root, fault);
      return { fault, how };
    }),
  );
  const runsSignalled: HaltReport["runsSignalled"] = [];
  // Only a runner that is still the process that registered (same pid AND start time) is signalled:
  // a pid reused by an unrelated process is never hit, and the stale entry is removed.
  for (const run of liveRuns(root)) {
    if (run.pid === process.pid) continue;
    try {
      process.kill(run.pid, "SIGUSR1");
      runsSignalled.push({ runId: run.runId, pid: run.pid, title: run.title });
    } catch {
      // The runner exited between the check and the signal.
    }
  }
  return { reverted, runsSignalled };
}
