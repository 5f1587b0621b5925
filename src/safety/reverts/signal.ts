import { sameProcess } from "../../platform/processes.js";
import { isProcessList, type ProcessIdentity, type RevertAction, type RevertExecutor } from "./types.js";

/**
 * The only signals a revert may send are fixed here, never read from disk: SIGCONT resumes what
 * withstand paused; SIGTERM stops a process withstand itself started (a rollout's version). A pid
 * whose start time changed belongs to another process now and is left alone.
 */
function signalling(type: "resume" | "stop", signal: NodeJS.Signals): RevertExecutor {
  return {
    type,
    accepts: (a: RevertAction) => isProcessList(a.targets),
    async run(a: RevertAction): Promise<string> {
      const done: number[] = [];
      for (const t of a.targets as ProcessIdentity[]) {
        if (!sameProcess(t)) continue;
        try {
          process.kill(t.pid, signal);
          done.push(t.pid);
        } catch {
          // Gone meanwhile: nothing left to revert.
        }
      }
      return done.length > 0 ? `${signal} to ${done.join(", ")}` : "targets already gone";
    },
  };
}

export const resume = signalling("resume", "SIGCONT");
export const stop = signalling("stop", "SIGTERM");
