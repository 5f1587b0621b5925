import type { Counts, SliSource } from "../core/metric-provider.js";
import { gapsBetween, type PlannedWindow } from "../core/planned.js";
import { goodInWindow } from "../core/sli.js";
import type { BudgetStatus } from "../core/slo.js";
import {
  burnRate,
  burnRatePairs,
  occurrencesStatus,
  promDuration,
  timeslicesStatus,
  timeToExhaustionMs,
} from "../core/slo.js";
import type { Objective, Slo } from "../core/slo-model.js";

/** Good and total events for a span, from whatever source the SLI names. */
export type { Counts, SliSource } from "../core/metric-provider.js";
export { goodInWindow };

export const STATUS_WINDOWS_MS = [5, 30, 60, 120, 360, 1440, 4320].map((m) => m * 60_000);

export interface AlertState {
  severity: "page" | "ticket";
  factor: number;
  long: string;
  short: string;
  longBurn: number;
  shortBurn: number;
  firing: boolean;
  canFire: boolean;
}

export interface ObjectiveStatus {
  slo: string;
  service: string;
  objective: string;
  budget: BudgetStatus;
  burnRates: Record<string, number>;
  timeToExhaustionMs: number;
  alerts: AlertState[];
  events: number;
}

const ratioOf = (c: Counts) => (c.total > 0 ? 1 - c.good / c.total : 0);

/** Everything `slo status` shows for one objective at time `at`. */
export async function objectiveStatus(
  slo: Slo,
  objective: Objective,
  source: SliSource,
  at: number,
): Promise<ObjectiveStatus> {
  const from = at - slo.periodMs;
  let budget: BudgetStatus;
  let events = 0;
  if (slo.budgetingMethod === "Occurrences" || !source.slices) {
    const c = await source.counts(objective, from, at);
    events = c.total;
    budget = occurrencesStatus(c.good, c.total, objective.target);
  } else {
    const sliceMs = objective.timeSliceWindowMs ?? 60_000;
    const slices = await source.slices(objective, from, at, sliceMs);
    events = slices.reduce((n, s) => n + s.total, 0);
    budget = timeslicesStatus(
      slices,
      objective.target,
      sliceMs,
      slo.periodMs,
      slo.budgetingMethod,
      objective.timeSliceTarget ?? 1,
    );
  }
  const burnRates: Record<string, number> = {};
  const ratioCache = new Map<number, number>();
  const ratio = async (ms: number) => {
    let r = ratioCache.get(ms);
    if (r === undefined) {
      r = ratioOf(await source.counts(objective, at - ms, at));
      ratioCache.set(ms, r);
    }
    return r;
  };
  for (const ms of STATUS_WINDOWS_MS)
    burnRates[promDuration(ms)] = burnRate(await ratio(ms), objective.target);
  const alerts: AlertState[] = [];
  for (const p of burnRatePairs(slo.periodMs)) {
    const longBurn = burnRate(await ratio(p.longMs), objective.target);
    const shortBurn = burnRate(await ratio(p.shortMs), objective.target);
    alerts.push({
      severity: p.severity,
      factor: p.factor,
      long: promDuration(Math.round(p.longMs)),
      short: promDuration(Math.round(p.shortMs)),
      longBurn,
      shortBurn,
      firing: longBurn > p.factor && shortBurn > p.factor,
      canFire: (1 - objective.target) * p.factor <= 1,
    });
  }
  const current = burnRates["1h"] ?? 0;
  return {
    slo: slo.name,
    service: slo.service,
    objective: objective.displayName ?? `${(objective.target * 100).toFixed(3).replace(/\.?0+$/, "")}%`,
    budget,
    burnRates,
    timeToExhaustionMs: timeToExhaustionMs(current, slo.periodMs, budget.budgetRemainingFraction),
    alerts,
    events,
  };
}

/** Good events in a window of withstand's own measurements: not failed, and within the latency threshold if any. */

/**
 * The error budget of one objective at `at` with planned chaos left out: the SLI counted over the parts
 * of the period outside the windows (whole slices for sliced methods), so the windows' events, good or
 * bad, are in neither the budget nor its use.
 */
export async function budgetExcluding(
  slo: Slo,
  objective: Objective,
  source: SliSource,
  at: number,
  windows: readonly PlannedWindow[],
): Promise<BudgetStatus> {
  const from = at - slo.periodMs;
  if (slo.budgetingMethod === "Occurrences" || !source.slices) {
    let good = 0;
    let total = 0;
    for (const g of gapsBetween(windows, from, at)) {
      const c = await source.counts(objective, g.start, g.end);
      good += c.good;
      total += c.total;
    }
    return occurrencesStatus(good, total, objective.target);
  }
  const sliceMs = objective.timeSliceWindowMs ?? 60_000;
  const slices = [];
  for (const g of gapsBetween(windows, from, at, sliceMs))
    slices.push(...(await source.slices(objective, g.start, g.end, sliceMs)));
  return timeslicesStatus(
    slices,
    objective.target,
    sliceMs,
    slo.periodMs,
    slo.budgetingMethod,
    objective.timeSliceTarget ?? 1,
  );
}
