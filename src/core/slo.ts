/**
 * SLO and error-budget arithmetic (Google SRE workbook, ch. 5), shared by `slo status`, `slo alerts`,
 * rule generation and SLO-based hypotheses. Pure: counts in, numbers out.
 */
export const DAY_MS = 86_400_000;

export interface BurnWindowPair {
  severity: "page" | "ticket";
  /** Share of the period's budget this pair is allowed to burn before it fires. */
  budgetConsumed: number;
  longMs: number;
  shortMs: number;
  factor: number;
}

/** The workbook's multiwindow, multi-burn-rate table for a 30-day period. */
const BASE_PAIRS: { severity: "page" | "ticket"; budgetConsumed: number; longH: number }[] = [
  { severity: "page", budgetConsumed: 0.02, longH: 1 },
  { severity: "page", budgetConsumed: 0.05, longH: 6 },
  { severity: "ticket", budgetConsumed: 0.1, longH: 24 },
  { severity: "ticket", budgetConsumed: 0.1, longH: 72 },
];

/**
 * Alert pairs scaled to the SLO period: windows shrink or grow with the period (short = long / 12), and
 * the factor is budgetConsumed × period / long, which keeps 14.4 / 6 / 3 / 1 at any period.
 */
export function burnRatePairs(periodMs: number): BurnWindowPair[] {
  const scale = periodMs / (30 * DAY_MS);
  return BASE_PAIRS.map((p) => {
    const longMs = p.longH * 3_600_000 * scale;
    return {
      severity: p.severity,
      budgetConsumed: p.budgetConsumed,
      longMs,
      shortMs: longMs / 12,
      factor: (p.budgetConsumed * periodMs) / longMs,
    };
  });
}

export function errorBudget(target: number): number {
  return 1 - target;
}

/** How many times faster than sustainable the budget burns at this error ratio. */
export function burnRate(errorRatio: number, target: number): number {
  const budget = errorBudget(target);
  return budget > 0 ? errorRatio / budget : Number.POSITIVE_INFINITY;
}

/** Time until the remaining budget is gone at a constant burn rate. */
export function timeToExhaustionMs(burn: number, periodMs: number, remainingFraction = 1): number {
  if (burn <= 0) return Number.POSITIVE_INFINITY;
  return (Math.max(0, remainingFraction) * periodMs) / burn;
}

/** How long a total outage (or a given error ratio) takes to fire an alert with this factor over `longMs`. */
export function detectionTimeMs(errorRatio: number, target: number, factor: number, longMs: number): number {
  if (errorRatio <= 0) return Number.POSITIVE_INFINITY;
  return ((errorBudget(target) * factor) / errorRatio) * longMs;
}

/** An alert whose threshold error ratio is above 100% can never fire (e.g. a 90% SLO with a 14.4× page). */
export function canEverFire(target: number, factor: number): boolean {
  return errorBudget(target) * factor <= 1;
}

export interface BudgetStatus {
  sli: number;
  target: number;
  errorRatio: number;
  budgetTotal: number;
  budgetRemainingFraction: number;
  /** In events (Occurrences) or minutes (time slices). */
  budgetTotalUnits: number;
  budgetRemainingUnits: number;
  unit: "events" | "minutes";
}

/** One shape for every budgeting method: the budget is the allowed share of `unitsInPeriod`. */
function budgetStatus(
  sli: number,
  target: number,
  unitsInPeriod: number,
  badUnits: number,
  unit: BudgetStatus["unit"],
): BudgetStatus {
  const errorRatio = 1 - sli;
  const budget = errorBudget(target);
  return {
    sli,
    target,
    errorRatio,
    budgetTotal: budget,
    budgetRemainingFraction: budget > 0 ? 1 - errorRatio / budget : 0,
    budgetTotalUnits: budget * unitsInPeriod,
    budgetRemainingUnits: budget * unitsInPeriod - badUnits,
    unit,
  };
}

/** Occurrences: SLI = good / total over the whole period; the budget is counted in events. */
export function occurrencesStatus(good: number, total: number, target: number): BudgetStatus {
  return budgetStatus(total > 0 ? good / total : 1, target, total, total - good, "events");
}

export interface Slice {
  good: number;
  total: number;
}

/**
 * Timeslices: a slice is good when its ratio meets timeSliceTarget; SLI = good slices / slices, and the
 * budget is counted in minutes of bad slices. RatioTimeslices: SLI = the mean of per-slice ratios.
 */
export function timeslicesStatus(
  slices: readonly Slice[],
  target: number,
  sliceMs: number,
  periodMs: number,
  method: "Timeslices" | "RatioTimeslices",
  timeSliceTarget = 1,
): BudgetStatus {
  const withTraffic = slices.filter((s) => s.total > 0);
  const ratios = withTraffic.map((s) => s.good / s.total);
  const sli =
    ratios.length === 0
      ? 1
      : method === "Timeslices"
        ? ratios.filter((r) => r >= timeSliceTarget).length / ratios.length
        : ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const badMinutes = ((1 - sli) * (withTraffic.length * sliceMs)) / 60_000;
  return budgetStatus(sli, target, periodMs / 60_000, badMinutes, "minutes");
}

/** Prometheus-style duration text for a window: 5m, 1h, 3d. */
export function promDuration(ms: number): string {
  const units: [string, number][] = [
    ["d", DAY_MS],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  for (const [u, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${u}`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}
