import { executeRevert } from "./revert.js";
import { type ActiveFault, listFaults, listRuns, removeFault, stateDir } from "./state.js";

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
  for (const run of listRuns(root)) {
    if (run.pid === process.pid) continue;
    try {
      process.kill(run.pid, "SIGUSR1");
      runsSignalled.push({ runId: run.runId, pid: run.pid, title: run.title });
    } catch {
      // The runner is gone; its watchdog cleans up its run file.
    }
  }
  return { reverted, runsSignalled };
}
