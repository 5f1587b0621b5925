import type { MetricProvider } from "../core/metric-provider.js";

/** The judge gets at most this many points per version: Mann-Whitney stays fast at any traffic. */
const MAX_POINTS = 5000;

function thin(xs: number[]): number[] {
  if (xs.length <= MAX_POINTS) return xs;
  const step = xs.length / MAX_POINTS;
  return Array.from({ length: MAX_POINTS }, (_, i) => xs[Math.floor(i * step)] as number);
}

/** withstand's canary router: one point per request (0/1 for errors, or its latency in ms). */
export const routerProvider: MetricProvider = {
  type: "router",
  async points(q, ctx) {
    const samples = ctx.router?.samples(q.version, q.fromMs, q.toMs) ?? [];
    return thin(samples.map((s) => (q.measure === "latency" ? s.latencyMs : s.error)));
  },
};
