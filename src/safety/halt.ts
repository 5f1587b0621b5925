import { executeRevert } from "./revert.js";
import { type ActiveFault, listFaults, listRuns, removeFault, stateDir } from "./state.js";

export interface HaltReport {
  reverted: { fault: ActiveFault; how: string }[];
  runsSignalled: { runId: string; pid: number; title: string }[];
}

/** The kill switch: reverts every active fault of every run on this machine, then tells each runner to stop. */
export function haltAll(root = stateDir()): HaltReport {
  const reverted: HaltReport["reverted"] = [];
  for (const { fault } of listFaults(root)) {
    const how = executeRevert(fault.revert);
    removeFault(root, fault);
    reverted.push({ fault, how });
  }
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
