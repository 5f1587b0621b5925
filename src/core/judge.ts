import { mean, median, pnorm, qnorm, ranks } from "./stats.js";

/**
 * The canary judge, after Kayenta's NetflixACAJudge: per metric, NaN handling, optional IQR outlier
 * removal, a two-sided Mann-Whitney test with a confidence interval for the shift, and an effect size
 * (meanRatio); then a weighted score from 0 to 100. Every classification carries its numbers and reason.
 */
export type Direction = "increase" | "decrease" | "either";
export type NoDataPolicy = "inconclusive" | "fail" | "pass";
export type Classification = "Pass" | "High" | "Low" | "NoData";

export interface MetricConfig {
  name: string;
  direction: Direction;
  critical?: boolean;
  mustHaveData?: boolean;
  nanStrategy?: "remove" | "replace";
  outliers?: "keep" | "remove";
  outlierFactor?: number;
  allowedIncrease?: number;
  allowedDecrease?: number;
  criticalIncrease?: number;
  criticalDecrease?: number;
  /**
   * Practical significance: the smallest shift (canary minus baseline, in the metric's unit, e.g. ms)
   * that may classify a metric High or Low. With thousands of samples Mann-Whitney calls a 0.05 ms
   * difference significant; on a busy machine that alone rolled identical canaries back.
   */
  minShift?: number;
  /**
   * Fewer points than this on either side is NoData, not a verdict: a handful of requests cannot show
   * a 5% error rate, and on a starved machine "0 errors in 12 requests" must not promote a canary.
   */
  minPoints?: number;
  noData?: NoDataPolicy;
  group?: string;
}

export interface MannWhitneyResult {
  pValue: number;
  lower: number;
  upper: number;
  /** Hodges-Lehmann estimate of the shift, experiment minus control. */
  estimate: number;
}

/** W statistic (R's convention, experiment first) standardised with tie and continuity corrections, at shift d. */
function zAt(x: readonly number[], y: readonly number[], d: number): number {
  const nx = x.length;
  const ny = y.length;
  const all = [...x.map((v) => v - d), ...y];
  const r = ranks(all);
  let rx = 0;
  for (let i = 0; i < nx; i++) rx += r[i] ?? 0;
  const w = rx - (nx * (nx + 1)) / 2;
  const counts = new Map<number, number>();
  for (const v of r) counts.set(v, (counts.get(v) ?? 0) + 1);
  let ties = 0;
  for (const t of counts.values()) ties += t * t * t - t;
  const n = nx + ny;
  const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - ties / (n * (n - 1))));
  const z = w - (nx * ny) / 2;
  if (sigma === 0) return 0;
  return (z - Math.sign(z) * 0.5) / sigma;
}

/** Two-sided Mann-Whitney U (normal approximation), as R's wilcox.test(x, y, conf.int = TRUE, exact = FALSE). */
export function mannWhitney(
  experiment: readonly number[],
  control: readonly number[],
  confLevel = 0.98,
): MannWhitneyResult {
  const z0 = zAt(experiment, control, 0);
  const pValue = 2 * Math.min(pnorm(z0), 1 - pnorm(z0));
  const lo = Math.min(...experiment) - Math.max(...control);
  const hi = Math.max(...experiment) - Math.min(...control);
  // z(d) decreases as the shift d grows: bisect for the d where it crosses each quantile.
  const root = (zq: number): number => {
    const f = (d: number) => zAt(experiment, control, d) - zq;
    if (f(lo) <= 0) return lo;
    if (f(hi) >= 0) return hi;
    let a = lo;
    let b = hi;
    // R's uniroot tolerance (1e-4), relative to the span of possible shifts.
    const tol = 1e-4 * Math.max(1e-12, hi - lo);
    for (let i = 0; i < 60 && b - a > tol; i++) {
      const m = (a + b) / 2;
      if (f(m) > 0) a = m;
      else b = m;
    }
    return (a + b) / 2;
  };
  const alpha = 1 - confLevel;
  // The Hodges-Lehmann estimate is the median of all pairwise differences; past 250k pairs, use the
  // shift where the statistic is centred (R's estimate for the normal approximation), which is cheaper.
  let estimate: number;
  if (experiment.length * control.length <= 250_000) {
    const diffs: number[] = [];
    for (const e of experiment) for (const c of control) diffs.push(e - c);
    estimate = median(diffs);
  } else estimate = root(0);
  const lower = root(qnorm(1 - alpha / 2));
  const upper = root(qnorm(alpha / 2));
  // With heavy ties (0/1 error data) the statistic is a step function: the interval can sit at a jump
  // (just above 0) while the median of pairwise differences is exactly 0. The decision rests on the
  // interval; the estimate shown must lie inside it, so take the statistic's own centre there (R's
  // estimate for the normal approximation), held within the interval.
  if (estimate < lower || estimate > upper) estimate = Math.min(upper, Math.max(lower, root(0)));
  return { pValue, lower, upper, estimate };
}

function removeOutliers(xs: number[], factor: number): number[] {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return (s[lo] ?? 0) + ((s[Math.ceil(i)] ?? 0) - (s[lo] ?? 0)) * (i - lo);
  };
  const q1 = q(0.25);
  const q3 = q(0.75);
  const iqr = q3 - q1;
  return xs.filter((v) => v >= q1 - factor * iqr && v <= q3 + factor * iqr);
}

export interface MetricVerdict {
  name: string;
  classification: Classification;
  critical: boolean;
  reason: string;
  controlCount: number;
  experimentCount: number;
  controlMean: number;
  experimentMean: number;
  effectSize: number;
  test?: MannWhitneyResult;
  /** What the no-data policy made of a NoData classification. */
  noData?: NoDataPolicy;
}

const TOLERANCE = 0.25;

const fmt = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(4)).toString() : String(n));

export function classifyMetric(
  cfg: MetricConfig,
  controlRaw: readonly number[],
  experimentRaw: readonly number[],
  confLevel = 0.98,
): MetricVerdict {
  const clean = (xs: readonly number[]) =>
    cfg.nanStrategy === "replace"
      ? xs.map((v) => (Number.isNaN(v) ? 0 : v))
      : xs.filter((v) => !Number.isNaN(v));
  let control = clean(controlRaw);
  let experiment = clean(experimentRaw);
  if (cfg.outliers === "remove") {
    control = removeOutliers(control, cfg.outlierFactor ?? 3);
    experiment = removeOutliers(experiment, cfg.outlierFactor ?? 3);
  }
  const base = {
    name: cfg.name,
    controlCount: control.length,
    experimentCount: experiment.length,
    controlMean: mean(control),
    experimentMean: mean(experiment),
  };
  const minPoints = Math.max(1, cfg.minPoints ?? 1);
  if (control.length < minPoints || experiment.length < minPoints) {
    // Kayenta's mustHaveData (NodataFailMetric) is the `fail` policy; an explicit noData wins.
    const policy = cfg.noData ?? (cfg.mustHaveData ? "fail" : "inconclusive");
    const empty = control.length === 0 || experiment.length === 0;
    const what = empty ? "no data (" : `too few points (minPoints ${minPoints}: `;
    return {
      ...base,
      classification: "NoData",
      critical: cfg.critical === true && policy === "fail",
      effectSize: Number.NaN,
      noData: policy,
      reason: `${what}${control.length} baseline, ${experiment.length} canary points); policy: ${policy}`,
    };
  }
  const effectSize =
    base.controlMean === 0
      ? base.experimentMean === 0
        ? 1
        : Number.POSITIVE_INFINITY
      : base.experimentMean / base.controlMean;
  const allSame = control.every((v) => v === control[0]) && experiment.every((v) => v === control[0]);
  if (allSame)
    return {
      ...base,
      classification: "Pass",
      critical: false,
      effectSize,
      reason: "identical values in baseline and canary",
    };
  const test = mannWhitney(experiment, control, confLevel);
  const bound = TOLERANCE * Math.abs(test.estimate);
  const allowedIncrease = cfg.allowedIncrease ?? 1;
  const allowedDecrease = cfg.allowedDecrease ?? 1;
  const numbers = `canary mean ${fmt(base.experimentMean)} vs baseline ${fmt(base.controlMean)} (ratio ${effectSize.toFixed(3)}, ${experiment.length} vs ${control.length} points), shift ${fmt(test.estimate)} (${(confLevel * 100).toFixed(0)}% CI ${fmt(test.lower)}..${fmt(test.upper)}), p=${test.pValue.toPrecision(3)}`;
  const minShift = cfg.minShift ?? 0;
  const high =
    cfg.direction !== "decrease" &&
    test.lower > bound &&
    test.lower > 0 &&
    effectSize >= allowedIncrease &&
    test.estimate >= minShift;
  const low =
    cfg.direction !== "increase" &&
    test.upper < -bound &&
    test.upper < 0 &&
    effectSize <= allowedDecrease &&
    -test.estimate >= minShift;
  if (high) {
    const critical = cfg.critical === true && effectSize >= (cfg.criticalIncrease ?? 1);
    return {
      ...base,
      classification: "High",
      critical,
      effectSize,
      test,
      reason: `canary higher than baseline: ${numbers}`,
    };
  }
  if (low) {
    const critical = cfg.critical === true && effectSize <= (cfg.criticalDecrease ?? 1);
    return {
      ...base,
      classification: "Low",
      critical,
      effectSize,
      test,
      reason: `canary lower than baseline: ${numbers}`,
    };
  }
  const shiftedUp = cfg.direction !== "decrease" && test.lower > bound && test.lower > 0;
  const shiftedDown = cfg.direction !== "increase" && test.upper < -bound && test.upper < 0;
  const below = (ratioOk: boolean, limit: string) =>
    ratioOk ? `the shift ${fmt(Math.abs(test.estimate))} is under minShift ${minShift}` : limit;
  const why = shiftedUp
    ? `higher but not practically: ${below(effectSize >= allowedIncrease, `within allowedIncrease ${allowedIncrease}`)}`
    : shiftedDown
      ? `lower but not practically: ${below(effectSize <= allowedDecrease, `within allowedDecrease ${allowedDecrease}`)}`
      : `no significant ${cfg.direction === "either" ? "difference" : cfg.direction}`;
  return { ...base, classification: "Pass", critical: false, effectSize, test, reason: `${why}: ${numbers}` };
}

export interface Judgement {
  score: number;
  verdict: "Pass" | "Marginal" | "Fail" | "Inconclusive";
  metrics: MetricVerdict[];
  reason: string;
}

/** Kayenta's weighted-sum scorer with explicit no-data handling. */
export function score(
  metrics: MetricVerdict[],
  thresholds = { pass: 95, marginal: 75 },
  weights: Record<string, number> = {},
  groupOf: (name: string) => string = () => "default",
): Judgement {
  const inconclusive = metrics.filter((m) => m.classification === "NoData" && m.noData === "inconclusive");
  const counted = metrics.map((m) => {
    if (m.classification !== "NoData") return m.classification;
    return m.noData === "pass" ? "Pass" : m.noData === "fail" ? "High" : "NoData";
  });
  const groups = new Map<string, { pass: number; counted: number }>();
  metrics.forEach((m, i) => {
    const g = groups.get(groupOf(m.name)) ?? { pass: 0, counted: 0 };
    const c = counted[i];
    if (c !== "NoData") {
      g.counted++;
      if (c === "Pass") g.pass++;
    }
    groups.set(groupOf(m.name), g);
  });
  const named = [...groups.keys()].filter((g) => g in weights);
  const spare = Math.max(0, 100 - named.reduce((a, g) => a + (weights[g] ?? 0), 0));
  const unweighted = [...groups.keys()].filter((g) => !(g in weights));
  let total = 0;
  for (const [g, v] of groups) {
    const groupScore = v.counted === 0 ? 100 : (v.pass / v.counted) * 100;
    const w = g in weights ? (weights[g] ?? 0) : spare / Math.max(1, unweighted.length);
    total += (groupScore * w) / 100;
  }
  let s = Math.round(total * 100) / 100;
  let reason = `score ${s} (pass >= ${thresholds.pass}, marginal >= ${thresholds.marginal})`;
  const critical = metrics.find((m) => m.critical);
  if (critical) {
    s = 0;
    reason = `critical metric ${critical.name} is ${critical.classification}: ${critical.reason}`;
  } else if (
    metrics.filter((m) => m.classification === "NoData").length * 2 >= metrics.length &&
    metrics.length > 0 &&
    inconclusive.length > 0
  ) {
    return {
      score: s,
      verdict: "Inconclusive",
      metrics,
      reason: `NO DATA for ${inconclusive.map((m) => m.name).join(", ")}: inconclusive by policy, pausing for a human decision`,
    };
  }
  if (inconclusive.length > 0 && !critical) {
    return {
      score: s,
      verdict: "Inconclusive",
      metrics,
      reason: `NO DATA for ${inconclusive.map((m) => m.name).join(", ")}: inconclusive by policy (${reason})`,
    };
  }
  const verdict = s >= thresholds.pass ? "Pass" : s >= thresholds.marginal ? "Marginal" : "Fail";
  return { score: s, verdict, metrics, reason };
}
