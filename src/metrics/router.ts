import type { MetricProvider, SampleReader } from "../core/metric-provider.js";

/** The judge gets at most this many points per version: Mann-Whitney stays fast at any traffic. */
const MAX_POINTS = 5000;

function thin(xs: number[]): number[] {
  if (xs.length <= MAX_POINTS) return xs;
  const step = xs.length / MAX_POINTS;
  return Array.from({ length: MAX_POINTS }, (_, i) => xs[Math.floor(i * step)] as number);
}

type Measure = "error-rate" | "latency" | undefined;
const measureOf = (s: { latencyMs: number; error: number }, m: Measure) =>
  m === "latency" ? s.latencyMs : s.error;

function mean(
  router: SampleReader | undefined,
  version: string,
  m: Measure,
  fromMs: number,
  toMs: number,
): number {
  const samples = router?.samples(version, fromMs, toMs) ?? [];
  if (samples.length === 0) return Number.NaN;
  let sum = 0;
  for (const s of samples) sum += measureOf(s, m);
  return sum / samples.length;
}

function needRouter(router: SampleReader | undefined): SampleReader {
  if (!router) throw new Error("source router: only a rollout has a router to measure");
  return router;
}

/**
 * withstand's canary router: one point per request (0/1 for errors, or its latency in ms); an instant
 * is the mean over the lookback (the error rate, the mean latency), a range one mean per step.
 */
export const routerProvider: MetricProvider = {
  type: "router",
  async points(q, ctx) {
    const samples = ctx.router?.samples(q.version, q.fromMs, q.toMs) ?? [];
    return thin(samples.map((s) => measureOf(s, q.measure)));
  },
  async instant(q, ctx) {
    const router = needRouter(ctx.router);
    return mean(router, q.version ?? "stable", q.measure, q.atMs - (q.lookbackMs ?? 60_000), q.atMs);
  },
  async range(q, ctx) {
    const router = needRouter(ctx.router);
    const version = q.version ?? "stable";
    const points: [number, number][] = [];
    for (let t = q.fromMs; t < q.toMs; t += q.stepMs)
      points.push([t + q.stepMs, mean(router, version, q.measure, t, Math.min(q.toMs, t + q.stepMs))]);
    return [{ labels: { version }, points }];
  },
};
