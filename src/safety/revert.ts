import { starttimeOf } from "../faults/procfs.js";
import type { RevertAction } from "./state.js";

/**
 * Executes a revert without any state of the runner. Idempotent: SIGCONT to a running process is
 * harmless, and a pid that was reused by another process (different start time) is left alone.
 */
export async function executeRevert(action: RevertAction): Promise<string> {
  switch (action.type) {
    case "none":
      return "nothing to revert";
    case "http": {
      try {
        const res = await fetch(action.url, {
          method: action.method,
          headers: { "content-type": "application/json", "user-agent": "withstand" },
          ...(action.body !== undefined ? { body: JSON.stringify(action.body) } : {}),
          signal: AbortSignal.timeout(3000),
        });
        await res.text();
        // 404: already gone (removed by hand, by a lease, or by a reset).
        return `${action.method} ${action.url} -> ${res.status}`;
      } catch (err) {
        return `${action.method} ${action.url} failed: ${(err as Error).message}`;
      }
    }
    case "signal": {
      const done: number[] = [];
      for (const t of action.targets) {
        if (starttimeOf(t.pid) !== t.starttime) continue;
        try {
          process.kill(t.pid, action.signal);
          done.push(t.pid);
        } catch {
          // Gone meanwhile: nothing left to revert.
        }
      }
      return done.length > 0 ? `${action.signal} to ${done.join(", ")}` : "targets already gone";
    }
  }
}
