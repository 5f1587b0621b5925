import type { Objective } from "./slo-model.js";
import type { Window } from "./window.js";

/** How many of a window's requests were good for an objective: no error, and within a latency threshold if it has one. */
export function goodInWindow(w: Window, objective: Objective): number {
  const ok = w.count - w.errors;
  if (objective.op === undefined || objective.value === undefined) return ok;
  // thresholdMetric over latency in ms: count the requests on the good side of the threshold.
  const limitUs = objective.value * 1000;
  let within = 0;
  const h = w.latency;
  if (h.totalCount === 0) return 0;
  within =
    objective.op === "lt" || objective.op === "lte"
      ? countAtOrBelow(h, limitUs)
      : h.totalCount - countAtOrBelow(h, limitUs);
  return Math.min(ok, Math.round((within * ok) / h.totalCount));
}

function countAtOrBelow(h: Window["latency"], valueUs: number): number {
  // Percentile search over the HDR histogram: the share of samples at or below a value.
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (h.getValueAtPercentile(mid) <= valueUs) lo = mid;
    else hi = mid;
  }
  return Math.round((lo / 100) * h.totalCount);
}
