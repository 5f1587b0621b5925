import { z } from "zod";
import { pactGateSchema } from "../core/pact/gate.js";
import { FAULT_SCHEMAS as FAULT_KINDS } from "../faults/schemas/index.js";
import { PROBE_KINDS } from "../probes/index.js";
import { ARGO_METRIC_KEYS, PROMETHEUS_KEYS, TEMPLATE_SPEC_KEYS } from "./analysis-template.js";
import { ANOMALY_CHECK } from "./anomaly-check.js";
import { durationField } from "./duration-field.js";
import { experimentBodySchema } from "./experiment-schema.js";
import { count, intOrString, scalar, typed } from "./fields.js";
import { HEARTBEAT_SPEC } from "./heartbeat.js";
import { LAB_SPEC } from "./lab.js";
import { LOAD_BODY } from "./load-test.js";
import { OPENSLO_FILE } from "./openslo-schema.js";
import { RISK_CATALOG_SPEC } from "./risk-catalog.js";
import { ANALYSIS_KEYS, JUDGE_KEYS, METRIC_KEYS, SPEC_KEYS, UPSTREAM_KEYS } from "./rollout.js";
import { FLAG_ROLLOUT } from "./rollout-flag.js";
import { SYNTHETIC_SPEC } from "./synthetic.js";

/**
 * The structure of each document kind, built from the same key lists the readers check, so the JSON
 * Schema an editor gets and `withstand validate` never disagree on which keys exist; every field has
 * its type (a duration is a string pattern or a number). Numbers a `${var}` may fill also take a string.
 */

const text = z.string();
const metadata = z.looseObject({
  name: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A fault mapping: its `kind` picks one registered fault kind, whose own schema completes it. */
const fault = z
  .looseObject({ kind: z.enum([...FAULT_KINDS.keys()] as [string, ...string[]]) })
  .meta({ id: "withstand-fault" });
const provider = z
  .looseObject({ type: z.enum([...PROBE_KINDS.keys()] as [string, ...string[]]) })
  .meta({ id: "withstand-provider" });

/** The experiment's parts come from its one schema (documents/experiment-schema). */
const experimentBody = (native: boolean) =>
  experimentBodySchema(native, { provider, fault, load: z.unknown() });

const nativeTop = (kind: string, spec: z.ZodType) =>
  z.strictObject({
    apiVersion: z.literal("withstand/v1"),
    kind: z.literal(kind),
    metadata: metadata.optional(),
    spec,
  });

const ratio = z.number().min(0);

const judgeMetric = typed(METRIC_KEYS, {
  name: text,
  source: z.enum(["router", "prometheus", "synthetic"]),
  measure: z.enum(["error-rate", "latency"]),
  query: text,
  prometheus: text,
  direction: z.enum(["increase", "decrease", "either"]),
  critical: z.boolean(),
  mustHaveData: z.boolean(),
  nanStrategy: z.enum(["remove", "replace"]),
  outliers: z.enum(["keep", "remove"]),
  outlierFactor: ratio,
  allowedIncrease: ratio,
  allowedDecrease: ratio,
  criticalIncrease: ratio,
  criticalDecrease: ratio,
  minShift: ratio,
  minPoints: count,
  noData: z.enum(["inconclusive", "fail", "pass"]),
  group: text,
  url: text,
  requests: count,
});
const templateRef = z.strictObject({ templateName: text, clusterScope: z.boolean().optional() });
const argoArg = z.strictObject({
  name: text,
  value: scalar.optional(),
  valueFrom: z.record(z.string(), z.unknown()).optional(),
});
const analysis = typed(ANALYSIS_KEYS, {
  interval: durationField,
  count,
  initialDelay: durationField,
  judge: typed(JUDGE_KEYS, {
    metrics: z.array(judgeMetric),
    thresholds: z.strictObject({ pass: z.number().optional(), marginal: z.number().optional() }),
    confidence: z.number().gt(0).lt(1),
    weights: z.record(z.string(), z.number()),
  }),
  metrics: z.array(judgeMetric),
  successCondition: text,
  failureCondition: text,
  failureLimit: z.union([z.number().int(), z.string()]),
  inconclusiveLimit: count,
  consecutiveErrorLimit: count,
  startingStep: count,
  templates: z.array(templateRef),
  args: z.array(argoArg),
});
const listen = z.union([text, z.number().int().min(0).max(65535)]);
const upstream = typed(UPSTREAM_KEYS, {
  url: text,
  command: z.union([text, z.array(text)]),
  env: z.record(z.string(), scalar),
  cwd: text,
  label: text,
  clock: text,
  readyTimeout: durationField,
});
const step = z.union([
  z.strictObject({ setWeight: z.union([z.number().min(0).max(100), z.string()]) }),
  z.strictObject({
    pause: z.union([z.strictObject({ duration: durationField.optional() }), durationField, z.null()]),
  }),
  z.strictObject({ analysis }),
]);
const rolloutSpec = typed(SPEC_KEYS, {
  listen,
  stable: upstream,
  canary: upstream,
  baseline: upstream,
  stickiness: z.strictObject({ header: text.optional(), cookie: text.optional() }),
  steps: z.array(step),
  analysis,
  prometheus: text,
  drainTimeout: durationField,
  metrics: listen,
  flag: FLAG_ROLLOUT,
});

const argoMetric = typed(ARGO_METRIC_KEYS, {
  name: text,
  interval: durationField,
  initialDelay: durationField,
  count: intOrString,
  successCondition: text,
  failureCondition: text,
  failureLimit: intOrString,
  inconclusiveLimit: intOrString,
  consecutiveErrorLimit: intOrString,
  consecutiveSuccessLimit: intOrString,
  provider: z.strictObject({
    // withstand's own provider: the canary verified against its consumers' pacts.
    pact: pactGateSchema.optional(),
    anomaly: ANOMALY_CHECK.optional(),
    prometheus: typed(PROMETHEUS_KEYS, {
      address: text,
      query: text,
      timeout: z.union([z.number().min(0), z.string()]),
      headers: z.array(z.strictObject({ key: text, value: text })),
      insecure: z.boolean(),
      rangeQuery: z.strictObject({ start: text, end: text.optional(), step: durationField.optional() }),
      authentication: z.record(z.string(), z.record(z.string(), z.unknown())),
      caCert: z.record(z.string(), z.unknown()),
    }).optional(),
  }),
});
const analysisTemplate = z.strictObject({
  apiVersion: z.string().regex(/^argoproj\.io\//),
  kind: z.enum(["AnalysisTemplate", "ClusterAnalysisTemplate"]),
  metadata,
  spec: typed(TEMPLATE_SPEC_KEYS, {
    args: z.array(argoArg),
    metrics: z.array(argoMetric),
    templates: z.array(templateRef),
    dryRun: z.array(z.strictObject({ metricName: text })),
    measurementRetention: z.array(z.strictObject({ metricName: text, limit: z.number().int().min(0) })),
  }),
});

/** A game day's probe: an experiment's probe, as in its steady-state hypothesis. */
const gameDayProbe = (experimentBody(true).shape.method as z.ZodArray<z.ZodType>).element;
/** What a game day watches: any probe, an SLO's burn-rate page alert, or a Prometheus expression. */
const stopCondition = z.union([
  gameDayProbe,
  z.strictObject({ name: text.optional(), slo: text, alert: z.enum(["page", "ticket"]).optional() }),
  z.strictObject({ name: text.optional(), prometheus: text, expr: text }),
  z.strictObject({ name: text.optional(), anomaly: ANOMALY_CHECK }),
]);
const gameDayStep = z.union([
  z.strictObject({ name: text.optional(), file: text }),
  z.strictObject({ name: text.optional(), experiment: experimentBody(true) }),
]);
/** `kind: GameDay`: roles, hypotheses, steps run as runs, and the stop conditions that halt them all. */
export const GAMEDAY_SPEC = z.strictObject({
  title: text,
  announcedFor: text.optional(),
  participants: z
    .strictObject({
      owner: text,
      coordinator: text.optional(),
      reporter: text.optional(),
      observers: z.array(text).optional(),
    })
    .optional(),
  hypothesis: text.optional(),
  "steady-state-hypothesis": z
    .strictObject({ title: text, probes: z.array(gameDayProbe).optional() })
    .optional(),
  steps: z.array(gameDayStep).min(1),
  rollbackPlan: text.optional(),
  stopConditions: z.array(stopCondition).optional(),
  interval: durationField.optional(),
});

/** The structure of each document kind; the registry (`kinds.ts`) pairs each with its reader. */
export const SCHEMAS = {
  Experiment: nativeTop("Experiment", experimentBody(true)),
  chaostoolkit: experimentBody(false),
  LoadTest: nativeTop("LoadTest", LOAD_BODY),
  Rollout: nativeTop("Rollout", rolloutSpec),
  OpenSLO: OPENSLO_FILE,
  Synthetic: nativeTop("Synthetic", SYNTHETIC_SPEC),
  Heartbeat: nativeTop("Heartbeat", HEARTBEAT_SPEC),
  RiskCatalog: nativeTop("RiskCatalog", RISK_CATALOG_SPEC),
  AnalysisTemplate: analysisTemplate,
  GameDay: nativeTop("GameDay", GAMEDAY_SPEC),
  Lab: nativeTop("Lab", LAB_SPEC),
} as const satisfies Record<string, z.ZodType>;

type Json = Record<string, unknown>;

/** One fault kind as JSON Schema: its own schema's keys plus `kind`. */
function faultKindSchema(kind: string, schema: z.ZodType): Json {
  const s = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-7" }) as Json;
  delete s.$schema;
  const properties = { kind: { const: kind }, ...((s.properties as Json | undefined) ?? {}) };
  const required = ["kind", ...((s.required as string[] | undefined) ?? [])];
  return { ...s, properties, required };
}

/** Each provider kind as JSON Schema, from its one schema; a Chaos Toolkit file may carry other keys. */
function providerSchemas(strict: boolean): Json[] {
  return [...PROBE_KINDS.values()].map((k) => {
    const s = z.toJSONSchema(k.schema, { io: "input", unrepresentable: "any", target: "draft-7" }) as Json;
    delete s.$schema;
    if (!strict) delete s.additionalProperties;
    return s;
  });
}

/** Drops every `additionalProperties: false` (faults, substituted afterwards, stay strict). */
function allowOtherKeys(node: unknown): void {
  if (Array.isArray(node)) for (const n of node) allowOtherKeys(n);
  else if (typeof node === "object" && node !== null) {
    const o = node as Json;
    if (o.additionalProperties === false) delete o.additionalProperties;
    for (const v of Object.values(o)) allowOtherKeys(v);
  }
}

/** The JSON Schema (draft-07, which editors' YAML servers read) of a document kind. */
export function toJsonSchema(schema: z.ZodType, title: string, name = ""): Json {
  const raw = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    target: "draft-7",
    reused: "inline",
  }) as Json;
  // Chaos Toolkit ignores keys it does not know, and so does withstand in its files (with a warning).
  if (name === "chaostoolkit") allowOtherKeys(raw);
  // The placeholders become one alternative per registered kind, each with its own keys.
  const definitions = raw.definitions as Json | undefined;
  if (definitions?.["withstand-fault"])
    definitions["withstand-fault"] = {
      anyOf: [...FAULT_KINDS].map(([k, v]) => faultKindSchema(k, v.schema)),
    };
  if (definitions?.["withstand-provider"])
    definitions["withstand-provider"] = { anyOf: providerSchemas(name !== "chaostoolkit") };
  return { ...raw, title };
}
