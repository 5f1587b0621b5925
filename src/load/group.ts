import { GroupTotal } from "../core/group.js";
import type { ThresholdSpec } from "../core/load-plan.js";
import { sleep } from "../core/sleep.js";
import { refreshGroup } from "../store/group.js";
import type { RunSummary, Store } from "../store/store.js";

/** How often a generator re-reads its group: a group abort reaches every member within two ticks. */
export const GROUP_TICK_MS = 500;

/** The abortOnFail threshold a finished member stopped on, read from its recorded summary. */
async function memberAbort(store: Store, run: RunSummary): Promise<string | undefined> {
  const detail = await store.getRun(run.id);
  const result = detail?.result as { withstand?: { abortedBy?: string | null } } | null | undefined;
  return result?.withstand?.abortedBy ?? undefined;
}

export interface FollowGroupOptions {
  store: Store;
  group: string;
  /** This generator's own run, which the caller stops itself. */
  selfId: string;
  thresholds: readonly ThresholdSpec[];
  signal: AbortSignal;
  /** Called once, with the threshold the group failed (or a member stopped on). */
  onAbort: (reason: string) => void;
  /** Store read failures: the run goes on without the group's view, and says so. */
  onError: (err: Error) => void;
}

/**
 * Follows a load group while this generator runs: merges every member's windows and stops this
 * generator when an abortOnFail threshold fails on the merged view, or when another member stopped
 * on one. Resolves when `signal` aborts.
 */
export async function followGroup(opts: FollowGroupOptions): Promise<void> {
  const view = new GroupTotal();
  const checked = new Set<string>();
  let reported = false;
  while (!opts.signal.aborted) {
    try {
      const members = await refreshGroup(opts.store, opts.group, view);
      let reason = view.abortReason(opts.thresholds);
      for (const run of members) {
        if (reason || run.id === opts.selfId || run.status === "running" || checked.has(run.id)) continue;
        checked.add(run.id);
        const stoppedOn = await memberAbort(opts.store, run);
        if (stoppedOn) reason = stoppedOn;
      }
      if (reason) {
        const tag = ` (group ${opts.group})`;
        opts.onAbort(reason.endsWith(tag) ? reason : `${reason}${tag}`);
        return;
      }
    } catch (err) {
      if (!reported) opts.onError(err as Error);
      reported = true;
    }
    await sleep(GROUP_TICK_MS, opts.signal);
  }
}
