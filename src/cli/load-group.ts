import type { LoadPlan } from "../core/load-plan.js";
import { followGroup } from "../load/group.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";

/** Group names go into URLs, Kubernetes labels and logs: keep them to a label's characters. */
export function checkGroupName(flag: string, name: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(name))
    failUsage(
      `${flag} ${name}: expected 1 to 63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    );
}

export interface GroupMembership {
  /** Aborted, with the threshold as its reason, when the group's merged view fails an abortOnFail threshold. */
  abort: AbortSignal;
  /** Stops following the group and closes the reader's store. */
  leave(): Promise<void>;
}

/**
 * A generator joins its group: a second store handle follows every member's windows while this one
 * runs, so abortOnFail judges the whole group, as no single k6 instance can.
 */
export async function joinGroup(
  group: string,
  store: string | undefined,
  selfId: string,
  plan: LoadPlan,
): Promise<GroupMembership> {
  const reader = openStore(store);
  const abort = new AbortController();
  const done = new AbortController();
  const following = followGroup({
    store: reader,
    group,
    selfId,
    thresholds: plan.thresholds,
    signal: done.signal,
    onAbort: (reason) => abort.abort(reason),
    onError: (err) =>
      process.stderr.write(
        `withstand: group ${group}: cannot read the group from the store (${err.message}); retrying every tick\n`,
      ),
  });
  return {
    abort: abort.signal,
    async leave() {
      done.abort();
      await following;
      await reader.close();
    },
  };
}
