import { medianCont } from "./dora.js";

/**
 * Anomaly detection on a regular series (one value per `stepMs`), as GitLab runs it in Prometheus:
 * the prediction for a moment is the median, over the same moment 1, 2 and 3 weeks earlier, of the
 * hour around it plus the trend since (the change of the weekly mean); the band is ± k standard
 * deviations of the residual (value − prediction) over the last week. Grafana's adaptive rules add a
 * coefficient-of-variation filter (a series too noisy for its baseline is not judged) and a floor (a
 * quiet series never pages); a breach must hold for `forMs`. The seed's "1.5× the weekly average" is a
 * preset. Every decision carries what it was made from, so an alert explains itself.
 */
export interface AnomalyConfig {
  /** Standard deviations of the residual that count as anomalous (3, GitLab's alert). */
  k: number;
  direction: "up" | "down" | "both";
  /** How long a breach must hold before it alerts (5m). */
  forMs: number;
  /** Below this value (and prediction) nothing alerts: 5/60 requests a second, as Grafana's floor. */
  floor: number;
  /** A series whose residual's stddev exceeds this share of its weekly mean is not judged (0.5). */
  maxCv: number;
  /** `seasonal` (GitLab) or `weekly-average` (the seed's `value > avg_over_time(value[1w]) * ratio`). */
  model: "seasonal" | "weekly-average";
  /** For `weekly-average`: how many times the weekly mean is anomalous (1.5). */
  ratio: number;
  /** The value judged is its mean over this trailing window (`avg_over_time(x[5m])`), as a 5m rate is. */
  smoothMs: number;
  /**
   * `sqrt` models the square root of the value: counts and rates have noise that grows with their
   * level (Poisson), which the square root makes even, so a quiet night's spike is judged by a night's
   * noise and not a busy afternoon's. `none` for values whose noise does not grow with them (latency).
   */
  transform: "sqrt" | "none";
}

export const DEFAULT_ANOMALY: AnomalyConfig = {
  k: 3,
  direction: "up",
  forMs: 5 * 60_000,
  floor: 5 / 60,
  maxCv: 0.5,
  model: "seasonal",
  ratio: 1.5,
  smoothMs: 5 * 60_000,
  transform: "sqrt",
};

/** The seed's rule as a named preset: `rate(x[5m]) > avg_over_time(rate(x[5m])[1w]) * 1.5`. */
export const WEEKLY_AVERAGE_PRESET: Partial<AnomalyConfig> = {
  model: "weekly-average",
  ratio: 1.5,
  maxCv: Number.POSITIVE_INFINITY,
  transform: "none",
  smoothMs: 0,
};

export const WEEK_MS = 7 * 86_400_000;
const HOUR_MS = 3_600_000;

export interface Point {
  t: number;
  v: number;
}

export interface Evaluation {
  t: number;
  value: number;
  /** undefined while there is not a week of history yet. */
  prediction?: number | undefined;
  lower?: number | undefined;
  upper?: number | undefined;
  /** (value − prediction) / stddev. */
  score?: number | undefined;
  /** Outside the band at this step (before the hold). */
  breach: boolean;
  /** Breached for `forMs`: an alert. */
  alert: boolean;
  /** Why it was not judged: "warming up", "too noisy", "below the floor". */
  skipped?: string | undefined;
}

/**
 * Prefix sums over a dense grid of steps (missing points count as absent), so every window's mean and
 * standard deviation costs O(1): a week of one-minute points is 10,080 of them.
 */
class Sums {
  private readonly n: Float64Array;
  private readonly s: Float64Array;
  private readonly q: Float64Array;
  constructor(
    readonly t0: number,
    readonly stepMs: number,
    size: number,
  ) {
    this.n = new Float64Array(size + 1);
    this.s = new Float64Array(size + 1);
    this.q = new Float64Array(size + 1);
  }
  /** Sets slot i (slots are filled in order; unset ones carry the previous sums). */
  set(i: number, v: number | undefined): void {
    this.n[i + 1] = (this.n[i] as number) + (v === undefined ? 0 : 1);
    this.s[i + 1] = (this.s[i] as number) + (v ?? 0);
    this.q[i + 1] = (this.q[i] as number) + (v === undefined ? 0 : v * v);
  }
  /** Count, sum and sum of squares over the times (from, to]. */
  private over(from: number, to: number): [number, number, number] {
    const hi = Math.min(Math.floor((to - this.t0) / this.stepMs), this.n.length - 2);
    const lo = Math.max(Math.floor((from - this.t0) / this.stepMs), -1);
    if (hi < 0 || hi <= lo) return [0, 0, 0];
    const a = lo + 1;
    const b = hi + 1;
    return [
      (this.n[b] as number) - (this.n[a] as number),
      (this.s[b] as number) - (this.s[a] as number),
      (this.q[b] as number) - (this.q[a] as number),
    ];
  }
  count(from: number, to: number): number {
    return this.over(from, to)[0];
  }
  mean(from: number, to: number): number | undefined {
    const [n, s] = this.over(from, to);
    return n > 0 ? s / n : undefined;
  }
  stddev(from: number, to: number): number | undefined {
    const [n, s, q] = this.over(from, to);
    if (n === 0) return undefined;
    const m = s / n;
    return Math.sqrt(Math.max(0, q / n - m * m));
  }
}

/**
 * Evaluates every point of a series (sorted, on multiples of stepMs). The first week only trains.
 * Range windows are left-open, right-closed (t − range, t], as Prometheus 3 evaluates them.
 */
export function detect(
  series: readonly Point[],
  stepMs: number,
  cfg: AnomalyConfig = DEFAULT_ANOMALY,
): Evaluation[] {
  const first = series[0];
  const last = series.at(-1);
  if (!first || !last) return [];
  const size = Math.round((last.t - first.t) / stepMs) + 1;
  const values = new Sums(first.t, stepMs, size);
  const residuals = new Sums(first.t, stepMs, size);
  const slotOf = (t: number) => Math.round((t - first.t) / stepMs);
  let filled = 0;
  const fwd = cfg.transform === "sqrt" ? (v: number) => Math.sqrt(Math.max(0, v)) : (v: number) => v;
  const back = cfg.transform === "sqrt" ? (v: number) => Math.sign(v) * v * v : (v: number) => v;
  for (const p of series) {
    const slot = slotOf(p.t);
    for (; filled < slot; filled++) values.set(filled, undefined);
    values.set(slot, fwd(p.v));
    filled = slot + 1;
  }
  const meanWeek = (t: number) => values.mean(t - WEEK_MS, t);
  const predict = (t: number): number | undefined => {
    if (cfg.model === "weekly-average") {
      const m = meanWeek(t);
      return m === undefined || t - first.t < WEEK_MS ? undefined : m * cfg.ratio;
    }
    const guesses: number[] = [];
    for (const k of [1, 2, 3]) {
      const then = t - k * WEEK_MS;
      if (then < first.t + WEEK_MS) continue; // the weekly mean back then needs a week of its own
      const centre = then + HOUR_MS / 2;
      const hour = values.mean(centre - HOUR_MS, centre);
      const now = meanWeek(t);
      const before = meanWeek(then);
      if (hour !== undefined && now !== undefined && before !== undefined)
        guesses.push(hour + (now - before));
    }
    return medianCont(guesses) ?? undefined;
  };
  const out: Evaluation[] = [];
  // `for` as Prometheus holds it: pending from the first breach, firing once `for` has passed since it
  // (so with `for` shorter than a step, the second breaching step fires, as in Prometheus).
  let since: number | undefined;
  let rFilled = 0;
  // The residual enters the week's stddev clipped to the band of the step before, so an anomaly does
  // not widen the band that should catch the next one (winsorising).
  let previousSd: number | undefined;
  for (const p of series) {
    const slot = slotOf(p.t);
    const prediction = predict(p.t);
    const value = cfg.smoothMs > 0 ? (values.mean(p.t - cfg.smoothMs, p.t) ?? fwd(p.v)) : fwd(p.v);
    for (; rFilled < slot; rFilled++) residuals.set(rFilled, undefined);
    const raw = prediction === undefined ? undefined : value - prediction;
    const edge = previousSd === undefined ? undefined : cfg.k * previousSd;
    const clipped =
      raw === undefined || edge === undefined || edge === 0 ? raw : Math.max(-edge, Math.min(edge, raw));
    residuals.set(slot, clipped);
    rFilled = slot + 1;
    // What is reported is in the series' own units; the judging happens in the transformed ones.
    const base: Evaluation = {
      t: p.t,
      value: back(value),
      prediction: prediction === undefined ? undefined : back(prediction),
      breach: false,
      alert: false,
    };
    if (prediction === undefined) {
      since = undefined;
      out.push({ ...base, skipped: "warming up: not enough history" });
      continue;
    }
    if (cfg.model === "weekly-average") {
      const breach = value > prediction && value >= cfg.floor;
      since = breach ? (since ?? p.t) : undefined;
      out.push({
        ...base,
        upper: back(prediction),
        breach,
        alert: breach && p.t - (since ?? p.t) >= cfg.forMs,
        score: value / (prediction / cfg.ratio),
      });
      continue;
    }
    const sd = residuals.stddev(p.t - WEEK_MS, p.t) ?? 0;
    const trained = residuals.count(p.t - WEEK_MS, p.t) * stepMs;
    if (trained >= 86_400_000) previousSd = sd;
    const mean = meanWeek(p.t) ?? 0; // in transformed units, as sd is
    const lower = prediction - cfg.k * sd;
    const upper = prediction + cfg.k * sd;
    const score = sd > 0 ? (value - prediction) / sd : 0;
    let skipped: string | undefined;
    if (trained < 86_400_000) skipped = "warming up: less than a day of residuals";
    else if (mean > 0 && sd / mean > cfg.maxCv)
      skipped = `too noisy: the residual's stddev is ${((sd / mean) * 100).toFixed(0)}% of the weekly mean`;
    else if (back(value) < cfg.floor && back(prediction) < cfg.floor) skipped = "below the floor";
    const breach =
      skipped === undefined &&
      sd > 0 &&
      ((cfg.direction !== "down" && score > cfg.k) || (cfg.direction !== "up" && score < -cfg.k));
    since = breach ? (since ?? p.t) : undefined;
    out.push({
      ...base,
      lower: back(lower),
      upper: back(upper),
      score,
      breach,
      alert: breach && p.t - (since ?? p.t) >= cfg.forMs,
      skipped,
    });
  }
  return out;
}

/** Runs of consecutive alerting steps: [start, end] of each anomaly. */
export function anomalies(evals: readonly Evaluation[]): { start: number; end: number; peak: Evaluation }[] {
  const out: { start: number; end: number; peak: Evaluation }[] = [];
  let cur: { start: number; end: number; peak: Evaluation } | undefined;
  for (const e of evals) {
    if (e.alert) {
      if (cur) {
        cur.end = e.t;
        if (Math.abs(e.score ?? 0) > Math.abs(cur.peak.score ?? 0)) cur.peak = e;
      } else cur = { start: e.t, end: e.t, peak: e };
    } else if (cur) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** One sentence an on-call engineer can act on. */
export function explain(e: Evaluation, unit = ""): string {
  const f = (x: number | undefined) => (x === undefined ? "?" : `${Number(x.toPrecision(4))}${unit}`);
  return `value ${f(e.value)} against a prediction of ${f(e.prediction)} (band ${f(e.lower)}..${f(e.upper)}, ${e.score === undefined ? "" : `${e.score.toFixed(1)}σ`}) at ${new Date(e.t).toISOString()}`;
}

/**
 * The detector as a judge (a steady-state tolerance, a rollout analysis metric, a game-day stop
 * condition): a Prometheus range query over `historyMs` up to now, one point a `stepMs`, judged at its
 * latest step. One shape for all three (documents/anomaly-check.ts reads it).
 */
export interface AnomalyCheck {
  prometheus: string;
  query: string;
  stepMs: number;
  historyMs: number;
  config: AnomalyConfig;
}

/** The options a user sets, over the defaults or the weekly-average preset. */
export interface AnomalyOptions {
  preset?: "seasonal" | "weekly-average" | undefined;
  k?: number | undefined;
  forMs?: number | undefined;
  direction?: AnomalyConfig["direction"] | undefined;
  floor?: number | undefined;
  transform?: AnomalyConfig["transform"] | undefined;
}

export function anomalyConfig(o: AnomalyOptions): AnomalyConfig {
  const base: AnomalyConfig =
    o.preset === "weekly-average" ? { ...DEFAULT_ANOMALY, ...WEEKLY_AVERAGE_PRESET } : { ...DEFAULT_ANOMALY };
  return {
    ...base,
    k: o.k ?? base.k,
    forMs: o.forMs ?? base.forMs,
    direction: o.direction ?? base.direction,
    floor: o.floor ?? base.floor,
    transform: o.transform ?? base.transform,
  };
}

export interface AnomalyVerdict {
  /** The latest step alerts (its breach has held `for`). */
  anomalous: boolean;
  /** Why, in one sentence: the explanation, or why the series was not judged. */
  reason: string;
  latest?: Evaluation | undefined;
}

/** Judges a series at its latest point: anomalous only when the detector alerts there. */
export function judgeLatest(series: readonly Point[], stepMs: number, cfg: AnomalyConfig): AnomalyVerdict {
  const latest = detect(series, stepMs, cfg).at(-1);
  if (!latest) return { anomalous: false, reason: "not judged: the query returned no points" };
  if (latest.skipped) return { anomalous: false, reason: `not judged: ${latest.skipped}`, latest };
  const what = latest.alert
    ? "anomalous"
    : latest.breach
      ? "outside its band, not yet for long enough"
      : "normal";
  return { anomalous: latest.alert, reason: `${what}: ${explain(latest)}`, latest };
}
