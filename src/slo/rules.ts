import { stringify } from "yaml";
import { RulesError } from "../core/errors.js";
import { type PlannedWindow, plannedMaskExpr } from "../core/planned.js";
import { errorRatioExpr, windowQuery } from "../core/promql.js";
import { burnRatePairs, canEverFire, promDuration } from "../core/slo.js";
import type { Slo } from "../core/slo-model.js";

export { errorRatioExpr, windowQuery };

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Record<string, unknown>[];
}

export { RulesError };

const alertName = (name: string) =>
  name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join("");

/**
 * Prometheus recording and alerting rules with Sloth's names (slo:sli_error:ratio_rate5m, ...), labelled
 * sloth_id/sloth_service/sloth_slo/sloth_window. The period window is a ratio of counts, not Sloth's
 * mean of 5-minute ratios, so spiky traffic does not bias it.
 */
export function generateRules(
  slo: Slo,
  opts: { planned?: PlannedRules | undefined } = {},
): { groups: RuleGroup[]; warnings: string[] } {
  if (slo.objectives.length === 0) throw new RulesError(`${slo.loc}: SLO ${slo.name}: no objective`);
  // Every objective gets its own rules (an SLO may promise 99% and 99.9%); one objective keeps Sloth's id.
  const all = slo.objectives.map((objective, i) =>
    rulesForObjective(
      slo,
      objective,
      slo.objectives.length === 1
        ? `${slo.service}-${slo.name}`
        : `${slo.service}-${slo.name}-${slugOf(objective.displayName ?? String(i + 1))}`,
      opts.planned,
    ),
  );
  return { groups: all.flatMap((r) => r.groups), warnings: all.flatMap((r) => r.warnings) };
}

const slugOf = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

function rulesForObjective(
  slo: Slo,
  objective: Slo["objectives"][number],
  id: string,
  planned?: PlannedRules,
): { groups: RuleGroup[]; warnings: string[] } {
  const base = { sloth_id: id, sloth_service: slo.service, sloth_slo: slo.name, ...slo.labels };
  const budget = 1 - objective.target;
  const pairs = burnRatePairs(slo.periodMs);
  const period = promDuration(slo.periodMs);
  const windows = new Set<string>(["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
  for (const p of pairs) {
    windows.add(promDuration(p.longMs));
    windows.add(promDuration(p.shortMs));
  }
  for (const c of slo.conditions) windows.add(promDuration(c.lookbackMs));
  windows.add(period);
  const toMs = (w: string) =>
    Number(w.slice(0, -1)) * ({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[w.slice(-1)] ?? 0);
  const sorted = [...windows].sort((a, b) => toMs(a) - toMs(b));
  const sliced = slo.budgetingMethod !== "Occurrences";
  const sli: RuleGroup = {
    name: `sloth-slo-sli-recordings-${id}`,
    // A sliced SLI only changes once per slice; evaluating it more often re-reads the same slices.
    ...(sliced ? { interval: promDuration(Math.max(60_000, objective.timeSliceWindowMs ?? 60_000)) } : {}),
    rules: sorted
      .filter((w) => !planned || w !== period)
      .map((w) => ({
        record: `slo:sli_error:ratio_rate${w}`,
        expr: `${sliErrorExpr(slo, objective, w, toMs(w))}\n`,
        labels: { ...base, sloth_window: w },
      })),
  };
  const sel = `{sloth_id="${id}", sloth_service="${slo.service}", sloth_slo="${slo.name}"}`;
  const meta: RuleGroup = {
    name: `sloth-slo-meta-recordings-${id}`,
    rules: [
      { record: "slo:objective:ratio", expr: `vector(${objective.target})`, labels: base },
      { record: "slo:error_budget:ratio", expr: `vector(1-${objective.target})`, labels: base },
      { record: "slo:time_period:days", expr: `vector(${slo.periodMs / 86_400_000})`, labels: base },
      {
        record: "slo:current_burn_rate:ratio",
        expr: `slo:sli_error:ratio_rate5m${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`,
        labels: base,
      },
      {
        record: "slo:period_burn_rate:ratio",
        expr: `slo:sli_error:ratio_rate${period}${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`,
        labels: base,
      },
      {
        record: "slo:period_error_budget_remaining:ratio",
        expr: `1 - slo:period_burn_rate:ratio${sel}`,
        labels: base,
      },
      {
        record: "sloth_slo_info",
        expr: `vector(1)`,
        labels: { ...base, sloth_objective: String(objective.target * 100), sloth_mode: "withstand" },
      },
    ],
  };
  const warnings: string[] = [];
  const term = (factor: number, w: string) => `slo:sli_error:ratio_rate${w}${sel} > (${factor} * ${budget})`;
  const alerts: Record<string, unknown>[] = [];
  if (slo.conditions.length > 0) {
    // An AlertCondition in the document replaces the workbook pairs: a single-window burn-rate alert.
    for (const c of slo.conditions) {
      const ops = { lt: "<", lte: "<=", gt: ">", gte: ">=" } as const;
      alerts.push({
        alert: `${alertName(slo.name)}${alertName(c.name)}`,
        expr: `(slo:sli_error:ratio_rate${promDuration(c.lookbackMs)}${sel} / ${budget}) ${ops[c.op] ?? ">="} ${c.threshold}\n`,
        ...(c.alertAfterMs > 0 ? { for: promDuration(c.alertAfterMs) } : {}),
        labels: { sloth_severity: c.severity },
        annotations: {
          title: `${slo.name}: burn rate over ${promDuration(c.lookbackMs)} ${c.op} ${c.threshold}`,
        },
      });
      if (!canEverFire(objective.target, c.threshold))
        warnings.push(
          `alert condition ${c.name} can never fire: a burn rate of ${c.threshold} at ${objective.target * 100}% needs an error ratio above 100%`,
        );
    }
  } else {
    for (const severity of ["page", "ticket"] as const) {
      const own = pairs.filter((p) => p.severity === severity);
      const expr = own
        .map(
          (p) =>
            `(\n  ${term(Number(p.factor.toFixed(4)), promDuration(p.shortMs))}\n  and\n  ${term(Number(p.factor.toFixed(4)), promDuration(p.longMs))}\n)`,
        )
        .join("\nor\n");
      alerts.push({
        alert: `${alertName(slo.name)}HighErrorBudgetBurn`,
        expr: `${expr}\n`,
        labels: { sloth_severity: severity },
        annotations: {
          title: `(${severity}) ${slo.service} ${slo.name}: error budget burn rate is too high`,
        },
      });
      for (const p of own) {
        if (!canEverFire(objective.target, p.factor)) {
          warnings.push(
            `the ${severity} alert at ${p.factor.toFixed(1)}x over ${promDuration(p.longMs)} can never fire at ${objective.target * 100}%: a full ${promDuration(p.longMs)} outage uses only ${((p.longMs / slo.periodMs) * 100).toFixed(1)}% of the budget`,
          );
        }
      }
    }
  }
  const groups = [sli, meta, { name: `sloth-slo-alerts-${id}`, rules: alerts }];
  if (planned) groups.splice(1, 0, plannedGroup(slo, objective, id, base, period, planned));
  return { groups, warnings };
}

/** Planned chaos to leave out of the error budget (`slo rules --exclude-runs`). */
export interface PlannedRules {
  windows: readonly PlannedWindow[];
  /** The resolution of the exclusion: steps of this length that overlap a window are left out. */
  stepMs: number;
}

/**
 * The budget's SLI (the period window) without the planned windows: the SLI's counts per step, the
 * steps that overlap planned chaos dropped (`unless on()` the mask), summed over the period by a
 * subquery, so it is right over any history the TSDB holds. Occurrences: bad (or total - good) over
 * total, summed; sliced methods: the mean over the slices that do not overlap. The burn-rate alerts keep
 * every window as it was (chaos is real to users, and detecting it is what a game day measures); the
 * SLI with the chaos in it stays as `slo:sli_error_with_planned:ratio_rate<period>`.
 */
function plannedGroup(
  slo: Slo,
  objective: Slo["objectives"][number],
  id: string,
  base: Record<string, string>,
  period: string,
  planned: PlannedRules,
): RuleGroup {
  const sliced = slo.budgetingMethod !== "Occurrences";
  const stepMs = sliced ? (objective.timeSliceWindowMs ?? 60_000) : planned.stepMs;
  const step = promDuration(stepMs);
  const mask = plannedMaskExpr(planned.windows, stepMs);
  let expr: string;
  if (sliced) {
    const perSlice = errorRatioExpr(slo, step);
    const allowed = Number((1 - (objective.timeSliceTarget ?? 1)).toFixed(12));
    const value = slo.budgetingMethod === "Timeslices" ? `(${perSlice}) > bool ${allowed}` : perSlice;
    expr = `avg_over_time((\n(${value})\nunless on() (${mask})\n)[${period}:${step}])`;
  } else {
    const ratio = slo.indicator.ratio;
    // errorRatioExpr refuses indicators rules cannot be made from (it throws a RulesError).
    errorRatioExpr(slo, step);
    if (!ratio) throw new RulesError(`${slo.loc}: SLO ${slo.name}: rules need a ratioMetric indicator`);
    const summed = (source: Parameters<typeof windowQuery>[0]) =>
      `sum_over_time((\n(${windowQuery(source, step, ratio.counter)})\nunless on() (${mask})\n)[${period}:${step}])`;
    expr = ratio.bad
      ? `${summed(ratio.bad)}\n/\n${summed(ratio.total)}`
      : `1 - (\n${summed(ratio.good as Parameters<typeof windowQuery>[0])}\n/\n${summed(ratio.total)}\n)`;
  }
  const periodMs = slo.periodMs;
  return {
    name: `withstand-slo-planned-chaos-${id}`,
    interval: promDuration(Math.max(stepMs, 1000)),
    rules: [
      {
        record: `slo:sli_error:ratio_rate${period}`,
        expr: `${expr}\n`,
        labels: { ...base, sloth_window: period },
      },
      {
        record: `slo:sli_error_with_planned:ratio_rate${period}`,
        expr: `${sliErrorExpr(slo, objective, period, periodMs)}\n`,
        labels: { ...base, sloth_window: period },
      },
      {
        // 1 while the evaluation time is in planned chaos (for graphs and silences); no sample otherwise.
        record: "withstand_planned_chaos",
        expr: `vector(1) and on() (${mask})`,
        labels: base,
      },
    ],
  };
}

/**
 * The error side of the SLI over window `w`, by budgeting method. Occurrences: bad events / events.
 * Timeslices: the fraction of bad slices (a slice is bad when its good ratio is below timeSliceTarget),
 * so budget and burn rates count bad slices. RatioTimeslices: the mean of the slices' error ratios.
 * Slices are evaluated by a subquery over the raw series, so the rule is right over any history the
 * TSDB holds (backfilled data included), not only since the rules were loaded.
 */
export function sliErrorExpr(slo: Slo, objective: Slo["objectives"][number], w: string, wMs: number): string {
  if (slo.budgetingMethod === "Occurrences") return errorRatioExpr(slo, w);
  const sliceMs = objective.timeSliceWindowMs ?? 60_000;
  const slice = promDuration(sliceMs);
  const perSlice = errorRatioExpr(slo, slice);
  const allowed = Number((1 - (objective.timeSliceTarget ?? 1)).toFixed(12));
  const value = slo.budgetingMethod === "Timeslices" ? `(${perSlice}) > bool ${allowed}` : perSlice;
  return wMs <= sliceMs ? value : `avg_over_time((\n${value}\n)[${w}:${slice}])`;
}

export function rulesYaml(groups: RuleGroup[], notes: readonly string[] = []): string {
  const head = notes.map((n) => `# ${n}\n`).join("");
  return `# Generated by withstand from OpenSLO. Recording names follow Sloth; long windows are ratios of counts.\n${head}${stringify({ groups }, { lineWidth: 0 })}`;
}
