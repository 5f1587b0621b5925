import { GroupTotal } from "../core/group.js";
import type { ThresholdSpec } from "../core/load-plan.js";
import type { RunSummary, Store } from "./store.js";

/** The series load runs write their windows under. */
export const LOAD_SERIES = "load";

/** Reads every member's new windows into `view`; returns the members as the store lists them. */
export async function refreshGroup(store: Store, group: string, view: GroupTotal): Promise<RunSummary[]> {
  const members = await store.listRuns({ group, kind: "load", limit: 10_000 });
  for (const run of members)
    view.add(run.id, await store.windowsAfter(run.id, LOAD_SERIES, view.after(run.id)));
  return members;
}

/** The thresholds the group's generators ran with, as the first of them recorded them at its start. */
export async function recordedThresholds(
  store: Store,
  members: readonly RunSummary[],
): Promise<ThresholdSpec[]> {
  const first = members.at(-1);
  const run = first ? await store.getRun(first.id) : undefined;
  const started = run?.events.find((e) => e.type === "run-started");
  return started?.type === "run-started" ? (started.thresholds ?? []) : [];
}

/** A group's merged view as the dashboard shows it, read afresh. */
export async function groupView(store: Store, group: string) {
  const view = new GroupTotal();
  const members = await refreshGroup(store, group, view);
  if (members.length === 0) return undefined;
  return { view, members, thresholds: view.evaluate(await recordedThresholds(store, members)) };
}
