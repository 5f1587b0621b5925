import { z } from "zod";
import { type AnomalyCheck, anomalyConfig, WEEK_MS } from "../core/anomaly.js";
import { parseLongDuration } from "./risk-catalog.js";

/**
 * The anomaly detector as a judge, one shape wherever it judges: a steady-state tolerance
 * (`tolerance: {type: anomaly, ...}`), a rollout analysis provider (`provider: {anomaly: {...}}` in an
 * AnalysisTemplate) and a game-day stop condition (`{anomaly: {...}}`). The series is a Prometheus range
 * query; its history must cover the detector's four weeks (three to compare with, one of residuals).
 */
const duration = (example: string) =>
  z
    .union([z.string(), z.number().min(0)])
    .refine((v) => parseLongDuration(v) !== undefined, `expected a duration such as ${example}`);

export const ANOMALY_CHECK_FIELDS = {
  prometheus: z.string().url().describe("the Prometheus server's URL"),
  query: z.string().min(1).describe("PromQL of one series, e.g. sum(rate(http_requests_total[5m]))"),
  step: duration("5m").optional().describe("one point a step (5m)"),
  history: duration("5w").optional().describe("how far back the query reads (5w)"),
  preset: z.enum(["seasonal", "weekly-average"]).optional(),
  k: z.number().positive().optional().describe("standard deviations that count as anomalous (3)"),
  for: duration("5m").optional().describe("how long a breach must hold (5m)"),
  direction: z.enum(["up", "down", "both"]).optional(),
  floor: z.number().min(0).optional().describe("below this nothing is anomalous (5/60)"),
  transform: z.enum(["sqrt", "none"]).optional(),
};

export const ANOMALY_CHECK = z.strictObject(ANOMALY_CHECK_FIELDS);
export type AnomalyCheckInput = z.infer<typeof ANOMALY_CHECK>;

const STEP_MS = 5 * 60_000;

/** What the schema accepted, as the judge runs it. */
export function anomalyCheckOf(v: AnomalyCheckInput): AnomalyCheck {
  const ms = (x: string | number | undefined) => (x === undefined ? undefined : parseLongDuration(x));
  return {
    prometheus: v.prometheus,
    query: v.query,
    stepMs: ms(v.step) ?? STEP_MS,
    historyMs: ms(v.history) ?? 5 * WEEK_MS,
    config: anomalyConfig({
      preset: v.preset,
      k: v.k,
      forMs: ms(v.for),
      direction: v.direction,
      floor: v.floor,
      transform: v.transform,
    }),
  };
}

/** The tolerance form: `tolerance: {type: anomaly, prometheus, query, ...}`. */
export const ANOMALY_TOLERANCE = z.strictObject({ type: z.literal("anomaly"), ...ANOMALY_CHECK_FIELDS });
