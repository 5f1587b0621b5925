import type { ThresholdSpec } from "./load-plan.js";
import { tagKey } from "./tags.js";
import { evaluateThreshold, parseThreshold, type ThresholdResult } from "./threshold.js";
import { subWindow, summarize, type Window } from "./window.js";

/** Evaluates a threshold of a plan over a run's total: a sub-metric over the requests its tags matched. */
export function evaluateSpec(t: ThresholdSpec, total: Window): ThresholdResult {
  const sub = t.tags ? { submetric: t.submetric ?? `${t.metric}{${tagKey(t.tags)}}` } : {};
  const parsed = parseThreshold(t.expression);
  if (!parsed.ok) return { metric: t.metric, ...sub, expression: t.expression, ok: false, actual: undefined };
  const w = t.tags ? subWindow(total, tagKey(t.tags)) : total;
  return { ...evaluateThreshold(t.metric, parsed.threshold, summarize(w), total.dropped), ...sub };
}
