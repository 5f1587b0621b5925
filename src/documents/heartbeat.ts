import { z } from "zod";
import { type Diagnostic, hasErrors } from "./diagnostic.js";
import { durationField, durationMs } from "./duration-field.js";
import { check, isRecord, openNative } from "./reporter.js";
import type { SourceDoc } from "./source.js";

/**
 * `kind: Heartbeat`: a job outside withstand (a backup, a batch) pings the monitor at
 * /heartbeat/NAME (GET or POST) every period; no ping within period plus grace fails the check, as a
 * Checkly heartbeat does (period 30 s to 365 days, grace under 366 days).
 */
const DAY = 86_400_000;
const duration = durationField;

export const HEARTBEAT_SPEC = z
  .object({
    period: duration.refine((v) => {
      const ms = durationMs(v);
      return ms >= 30_000 && ms <= 365 * DAY;
    }, "Period must be between 30 seconds and 365 days."),
    grace: duration
      .default("0s")
      .refine((v) => durationMs(v) < 366 * DAY, "Grace must be less than 366 days"),
    severity: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(2),
    businessImpact: z.string().default(""),
    technicalSummary: z.string().default(""),
    panicGuide: z.string().default(""),
  })
  .strict();

export interface HeartbeatSpec {
  name: string;
  periodMs: number;
  graceMs: number;
  severity: 1 | 2 | 3;
  businessImpact: string;
  technicalSummary: string;
  panicGuide: string;
}

export function readHeartbeat(src: SourceDoc): { spec?: HeartbeatSpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "Heartbeat");
  if (!top) return { diagnostics };
  const name = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "";
  if (!/^[a-z0-9-]+$/.test(name))
    r.error(
      ["metadata", "name"],
      "expected lowercase letters, digits and hyphens (it names /heartbeat/NAME)",
    );
  const spec = check(HEARTBEAT_SPEC, top.spec, ["spec"], r);
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  return {
    spec: {
      name,
      periodMs: durationMs(spec.period),
      graceMs: durationMs(spec.grace),
      severity: spec.severity,
      businessImpact: spec.businessImpact,
      technicalSummary: spec.technicalSummary,
      panicGuide: spec.panicGuide,
    },
    diagnostics,
  };
}
