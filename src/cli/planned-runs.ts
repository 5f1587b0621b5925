import { parseDuration } from "../core/duration.js";
import { faultWindows, mergeWindows, type PlannedWindow } from "../core/planned.js";
import type { RunSummary, Store } from "../store/store.js";
import { failUsage } from "./fail.js";

/** Run kinds that are planned chaos by default (`--exclude-runs planned`): game days are announced. */
export const PLANNED_KINDS = ["gameday"];

/**
 * The fault windows of the runs `--exclude-runs` names, merged: a comma-separated list of run ids (or
 * unique id prefixes), `kind=KIND` (every run of that kind), or `planned` (every game day). Only runs
 * that started before `toMs` and ended after `fromMs` count.
 */
export async function plannedWindows(
  store: Store,
  selector: string,
  fromMs: number,
  toMs: number,
): Promise<{ windows: PlannedWindow[]; runs: string[] }> {
  const items = selector
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    failUsage(`--exclude-runs ${JSON.stringify(selector)}: expected run ids, kind=KIND or planned`);
  const chosen = new Map<string, RunSummary>();
  for (const item of items) {
    const kind = item === "planned" ? PLANNED_KINDS : item.startsWith("kind=") ? [item.slice(5)] : undefined;
    if (kind) {
      for (const k of kind) {
        if (!k) failUsage(`--exclude-runs ${item}: expected kind=KIND, e.g. kind=gameday`);
        for (const r of await store.listRuns({ kind: k, limit: 100_000 })) chosen.set(r.id, r);
      }
      continue;
    }
    const matches = await store.listRuns({ idPrefix: item, limit: 2 });
    if (matches.length === 0) failUsage(`--exclude-runs ${item}: no run with this id in the store`);
    if (matches.length > 1) failUsage(`--exclude-runs ${item}: more than one run id starts with it`);
    const r = matches[0] as RunSummary;
    chosen.set(r.id, r);
  }
  const windows: PlannedWindow[] = [];
  for (const r of chosen.values()) {
    const end = r.endedAt ? Date.parse(r.endedAt) : Date.now();
    if (Date.parse(r.startedAt) > toMs || end < fromMs) continue;
    const detail = await store.getRun(r.id);
    if (detail) windows.push(...faultWindows(r.id, detail.events, Math.min(end, toMs)));
  }
  return { windows: mergeWindows(windows), runs: [...chosen.keys()] };
}

/** `--planned-step`: the resolution of the exclusion in generated rules. */
export function plannedStepMs(flag: string | undefined): number {
  if (flag === undefined) return 60_000;
  const ms = parseDuration(flag);
  if (ms === undefined || ms < 1000 || ms % 1000 !== 0)
    failUsage(`--planned-step ${flag}: expected a whole number of seconds, at least 1s, such as 1m`);
  return ms;
}
