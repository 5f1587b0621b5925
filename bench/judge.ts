/**
 * bench/judge: the canary judge on seeded synthetic data with a known truth. Prints the false-rollback
 * rate (identical baseline and canary) and the detection rates for an error rate 5 points higher and a
 * latency (so p99) 50% higher. BENCH_TRIALS sets the number of trials (default 300).
 */
import { classifyMetric, type MetricConfig, score } from "../src/core/judge.js";
import { seeded } from "../src/core/stats.js";

const TRIALS = Number(process.env.BENCH_TRIALS ?? 300);
const errors: MetricConfig = { name: "errors", direction: "increase", critical: true, allowedIncrease: 1.1 };
const latency: MetricConfig = { name: "latency", direction: "increase", allowedIncrease: 1.1 };
const bernoulli = (r: () => number, n: number, p: number) =>
  Array.from({ length: n }, () => (r() < p ? 1 : 0));
const lognormal = (r: () => number, n: number, scale = 1) =>
  Array.from(
    { length: n },
    () => 20 * scale * Math.exp(0.4 * Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r())),
  );

function trial(seed: number, errorDelta: number, latencyScale: number, requests: number) {
  const r = seeded(seed);
  return score([
    classifyMetric(errors, bernoulli(r, requests, 0.01), bernoulli(r, requests, 0.01 + errorDelta)),
    classifyMetric(latency, lognormal(r, 100), lognormal(r, 100, latencyScale)),
  ]).verdict;
}

for (const requests of [400, 1000]) {
  let falseRollbacks = 0;
  let errorsCaught = 0;
  let latencyCaught = 0;
  for (let s = 1; s <= TRIALS; s++) {
    if (trial(s, 0, 1, requests) === "Fail") falseRollbacks++;
    if (trial(100_000 + s, 0.05, 1, requests) === "Fail") errorsCaught++;
    if (trial(200_000 + s, 0, 1.5, requests) !== "Pass") latencyCaught++;
  }
  const pct = (n: number) => `${((n / TRIALS) * 100).toFixed(1)}%`;
  console.log(
    `judge (98% confidence, ${requests} requests and 100 latency points per version, ${TRIALS} trials): false rollbacks ${pct(falseRollbacks)} (goal < 1%), +5pp errors detected ${pct(errorsCaught)}, p99 +50% detected ${pct(latencyCaught)} (goal > 99%)`,
  );
}
