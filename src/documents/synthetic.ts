import { z } from "zod";
import {
  AssertionSyntaxError,
  CHECKLY_COMPARISONS,
  CHECKLY_SOURCES,
  type ChecklyAssertion,
  type GatusCondition,
  parseGatusCondition,
} from "../core/http-assertions.js";
import { type Diagnostic, hasErrors } from "./diagnostic.js";
import { durationField, durationMs } from "./duration-field.js";
import { check, isRecord, openNative } from "./reporter.js";
import { loadFirstDocument, type SourceDoc } from "./source.js";

/**
 * `kind: Synthetic`: a multi-step HTTP transaction run on a schedule (Gilt's "place a test order every
 * minute"): later steps use values saved from earlier ones, assertions in Checkly's and Gatus's forms,
 * clean-up steps that always run, Checkly's retry strategies and response-time limits, and an FT health
 * check's fields. One zod schema is used by `validate`, `withstand schema` and the runner.
 */

const duration = durationField.refine(
  (v) => durationMs(v) > 0,
  "expected a duration above 0 such as 30s or 1m",
);

const checkly = z
  .object({
    source: z.enum(CHECKLY_SOURCES),
    property: z.string().optional(),
    comparison: z.enum(CHECKLY_COMPARISONS),
    target: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    regex: z.string().nullable().optional(),
  })
  .strict();

const request = z
  .object({
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, "expected an HTTP method")
      .default("GET"),
    url: z.string().min(1),
    headers: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
    body: z.string().optional(),
    json: z.unknown().optional(),
    timeout: duration.optional(),
  })
  .strict();

const step = z
  .object({
    name: z.string().min(1),
    request,
    assertions: z.array(checkly).default([]),
    conditions: z.array(z.string().min(1)).default([]),
    save: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a variable name"), z.string())
      .default({}),
    alwaysRun: z.boolean().default(false),
  })
  .strict();

const retry = z
  .object({
    type: z.enum(["LINEAR", "EXPONENTIAL", "FIXED", "SINGLE_RETRY", "NO_RETRIES"]),
    baseBackoffSeconds: z.number().min(0).max(600).default(60),
    maxRetries: z.number().int().min(1).max(10).default(2),
    maxDurationSeconds: z.number().min(0).max(600).default(600),
    onlyOn: z.enum(["NETWORK_ERROR"]).optional(),
    // Checkly retries in the same region or another; withstand runs from one place, so always the same.
    sameRegion: z.boolean().optional(),
  })
  .strict();

export const SYNTHETIC_SPEC = z
  .object({
    every: duration.default("1m"),
    id: z
      .string()
      .regex(/^[a-z0-9-]+$/, "expected lowercase letters, digits and hyphens (an FT check id)")
      .optional(),
    severity: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
    businessImpact: z.string().default(""),
    technicalSummary: z.string().default(""),
    panicGuide: z.string().default(""),
    degradedResponseTime: z.number().min(0).max(30_000).default(10_000),
    maxResponseTime: z.number().min(0).max(30_000).default(20_000),
    retry: retry.optional(),
    /** Checkly's name for retry (its constructs and API). */
    retryStrategy: retry.optional(),
    shouldFail: z.boolean().default(false),
    heartbeat: z.object({ within: duration }).strict().optional(),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    steps: z.array(step).min(1),
  })
  .strict();

export type SyntheticStep = Omit<z.infer<typeof step>, "assertions" | "conditions"> & {
  assertions: ChecklyAssertion[];
  conditions: GatusCondition[];
};

export interface SyntheticSpec {
  name: string;
  id: string;
  everyMs: number;
  severity: 1 | 2 | 3;
  businessImpact: string;
  technicalSummary: string;
  panicGuide: string;
  degradedResponseTimeMs: number;
  maxResponseTimeMs: number;
  retry: z.infer<typeof retry> | undefined;
  shouldFail: boolean;
  /** "No successful run within this long" alerts (Gilt's three minutes). */
  heartbeatMs: number | undefined;
  variables: Record<string, string>;
  steps: SyntheticStep[];
  source: string;
}

export function readSynthetic(src: SourceDoc): { spec?: SyntheticSpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "Synthetic");
  if (!top) return { diagnostics };
  const name = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "";
  if (!name) r.error(["metadata", "name"], "is required (the synthetic's name)");
  const spec = check(SYNTHETIC_SPEC, top.spec, ["spec"], r);
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  const steps: SyntheticStep[] = spec.steps.map((s, i) => ({
    ...s,
    assertions: s.assertions as ChecklyAssertion[],
    conditions: s.conditions.flatMap((c, j) => {
      try {
        return [parseGatusCondition(c)];
      } catch (err) {
        if (!(err instanceof AssertionSyntaxError)) throw err;
        r.error(["spec", "steps", i, "conditions", j], err.message);
        return [];
      }
    }),
  }));
  for (const [i, s] of spec.steps.entries()) {
    if (s.request.body !== undefined && s.request.json !== undefined)
      r.error(["spec", "steps", i, "request", "json"], "give either body or json");
    for (const [j, a] of s.assertions.entries())
      if (
        a.source === "JSON_BODY" &&
        a.property === undefined &&
        !["IS_EMPTY", "NOT_EMPTY"].includes(a.comparison)
      )
        r.error(
          ["spec", "steps", i, "assertions", j, "property"],
          "is required for JSON_BODY (a JSONPath such as $.order.id)",
        );
  }
  // Without its own degradedResponseTime, a lower maxResponseTime lowers it too.
  const degradedGiven = isRecord(top.spec) && "degradedResponseTime" in top.spec;
  const degradedMs = degradedGiven
    ? spec.degradedResponseTime
    : Math.min(spec.degradedResponseTime, spec.maxResponseTime);
  if (degradedMs > spec.maxResponseTime)
    r.error(["spec", "degradedResponseTime"], `must not exceed maxResponseTime (${spec.maxResponseTime})`);
  const names = new Set<string>();
  for (const [i, s] of spec.steps.entries()) {
    if (names.has(s.name)) r.error(["spec", "steps", i, "name"], `a step named ${s.name} comes earlier`);
    names.add(s.name);
  }
  if (spec.retry && spec.retryStrategy)
    r.error(["spec", "retryStrategy"], "give either retry or retryStrategy (Checkly's name for it)");
  const retryGiven = spec.retry ?? spec.retryStrategy;
  if (retryGiven?.sameRegion === false)
    r.warn(
      ["spec", spec.retry ? "retry" : "retryStrategy", "sameRegion"],
      "withstand runs from a single region: retries run from the same place as the first attempt",
    );
  if (hasErrors(diagnostics)) return { diagnostics };
  return {
    spec: {
      name,
      id: spec.id ?? name.toLowerCase().replace(/[^a-z0-9-]+/g, "-"),
      everyMs: durationMs(spec.every),
      severity: spec.severity,
      businessImpact: spec.businessImpact,
      technicalSummary: spec.technicalSummary,
      panicGuide: spec.panicGuide,
      degradedResponseTimeMs: degradedMs,
      maxResponseTimeMs: spec.maxResponseTime,
      retry: retryGiven,
      shouldFail: spec.shouldFail,
      heartbeatMs: spec.heartbeat ? durationMs(spec.heartbeat.within) : undefined,
      variables: Object.fromEntries(Object.entries(spec.variables).map(([k, v]) => [k, String(v)])),
      steps,
      source: src.file,
    },
    diagnostics,
  };
}

export function loadSyntheticFile(
  file: string,
): Promise<{ spec?: SyntheticSpec; diagnostics: Diagnostic[] }> {
  return loadFirstDocument(file, "Synthetic", readSynthetic);
}
