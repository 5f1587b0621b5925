import type { MetricProvider } from "../core/metric-provider.js";

/** Requests in flight at once per version and measurement. */
const CONCURRENCY = 8;

/**
 * Synthetic transactions for a flag rollout: one GET of the metric's URL as each of a variant's users
 * (`{{targetingKey}}` replaced by the user's key, which the application passes to its flag
 * evaluation). A point is 1 for a failed request (no answer, or HTTP 400 and above) and 0 otherwise,
 * or the latency in ms of each answered request.
 */
export const syntheticProvider: MetricProvider = {
  type: "synthetic",
  async points(q) {
    const template = q.query;
    if (template === undefined) throw new Error("source synthetic: expected the metric's url");
    const users = [...(q.subjects ?? [])];
    const points: number[] = [];
    const one = async (key: string) => {
      const url = template.replaceAll("{{targetingKey}}", encodeURIComponent(key));
      const t0 = performance.now();
      try {
        const res = await fetch(url, {
          headers: { "user-agent": "withstand-synthetic" },
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        points.push(q.measure === "latency" ? performance.now() - t0 : res.status >= 400 ? 1 : 0);
      } catch {
        // No answer: an error; it has no latency to judge.
        if (q.measure !== "latency") points.push(1);
      }
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let key = users.shift(); key !== undefined; key = users.shift()) await one(key);
      }),
    );
    return points;
  },
};
