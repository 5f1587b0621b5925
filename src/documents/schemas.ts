import { z } from "zod";
import { EXECUTORS } from "../core/load-plan.js";
import { METRICS } from "../core/threshold.js";
import { FAULT_SCHEMAS as FAULT_KINDS } from "../faults/schemas/index.js";
import { PROBE_KINDS } from "../probes/index.js";
import { ACTIVITY_KEYS } from "./activity.js";
import { ARGO_METRIC_KEYS, isTemplate, PROMETHEUS_KEYS, TEMPLATE_SPEC_KEYS } from "./analysis-template.js";
import { CTK_TOP, HYPOTHESIS_KEYS, NATIVE_SPEC_EXTRA, PROXY_KEYS } from "./experiment.js";
import { HEARTBEAT_SPEC } from "./heartbeat.js";
import { BODY_KEYS, REQUEST_KEYS } from "./load-test.js";
import { OPENSLO_KINDS } from "./openslo.js";
import { ANALYSIS_KEYS, JUDGE_KEYS, METRIC_KEYS, SPEC_KEYS, UPSTREAM_KEYS } from "./rollout.js";
import { SYNTHETIC_SPEC } from "./synthetic.js";

/**
 * The structure of each document kind, built from the same key lists the readers check, so the JSON
 * Schema an editor gets and `withstand validate` never disagree on which keys exist. Values that
 * `${var}` substitution may fill stay loosely typed here; the readers check them exactly.
 */

type Shape = Record<string, z.ZodType>;

/** An object of exactly `keys`, each optional and any-valued unless `typed` says more. */
function keyed(keys: readonly string[], typed: Shape = {}, strict = true): z.ZodObject {
  const shape: Shape = {};
  for (const k of keys) shape[k] = (typed[k] ?? z.unknown()).optional();
  return strict ? z.strictObject(shape) : z.looseObject(shape);
}

const text = z.string();
const numberish = z.union([z.number(), z.string()]);
const durationish = z
  .union([z.number(), z.string()])
  .meta({ description: 'seconds, or "500ms", "10s", "5m"' });
const metadata = z.looseObject({
  name: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/** A fault mapping: its `kind` picks one registered fault kind, whose own schema completes it. */
const fault = z
  .looseObject({ kind: z.enum([...FAULT_KINDS.keys()] as [string, ...string[]]) })
  .meta({ id: "withstand-fault" });
const provider = z
  .looseObject({ type: z.enum([...PROBE_KINDS.keys()] as [string, ...string[]]) })
  .meta({ id: "withstand-provider" });

function activity(strict: boolean): z.ZodType {
  return z.union([
    keyed(
      ACTIVITY_KEYS,
      {
        type: z.enum(["probe", "action"]),
        name: text,
        provider,
        fault,
        pauses: z.strictObject({ before: durationish.optional(), after: durationish.optional() }),
        background: z.union([z.boolean(), z.string()]),
        save: text,
        ref: text,
        description: text,
        controls: z.array(z.unknown()),
      },
      strict,
    ),
    text.meta({ description: "the name of an activity defined earlier (a reference)" }),
  ]);
}

function experimentBody(strict: boolean): z.ZodObject {
  const act = activity(strict);
  return keyed(
    strict ? [...CTK_TOP.filter((k) => k !== "version"), ...NATIVE_SPEC_EXTRA] : CTK_TOP,
    {
      title: text,
      description: text,
      tags: z.array(text),
      "steady-state-hypothesis": keyed(HYPOTHESIS_KEYS, { title: text, probes: z.array(act) }, strict),
      method: z.array(act),
      rollbacks: z.array(act),
      configuration: z.record(z.string(), z.unknown()),
      secrets: z.record(z.string(), z.record(z.string(), z.unknown())),
      controls: z.array(z.unknown()),
      proxies: z.array(keyed(PROXY_KEYS, { name: text, listen: text, upstream: text })),
    },
    strict,
  );
}

const nativeTop = (kind: string, spec: z.ZodType) =>
  z.strictObject({
    apiVersion: z.literal("withstand/v1"),
    kind: z.literal(kind),
    metadata: metadata.optional(),
    spec,
  });

// A k6 metric, or a sub-metric with a tag filter: http_req_duration{type:API}.
const metricKey = z.string().regex(new RegExp(`^(${METRICS.join("|")})(\\{.*\\})?$`));
const thresholds = z.record(
  metricKey,
  z.union([
    text,
    z.array(
      z.union([
        text,
        z.strictObject({
          threshold: text,
          abortOnFail: z.union([z.boolean(), z.string()]).optional(),
          delayAbortEval: durationish.optional(),
        }),
      ]),
    ),
  ]),
);

const loadBody = keyed(BODY_KEYS, {
  executor: z.enum(EXECUTORS as unknown as [string, ...string[]]),
  rate: numberish,
  startRate: numberish,
  duration: durationish,
  stages: z.array(z.strictObject({ target: numberish, duration: durationish })),
  url: text,
  method: text,
  headers: z.record(z.string(), z.unknown()),
  requests: z.array(
    keyed(REQUEST_KEYS, {
      url: text,
      method: text,
      weight: numberish,
      tags: z.record(z.string(), z.unknown()),
    }),
  ),
  thresholds,
});

const judgeMetric = keyed(METRIC_KEYS, {
  name: text,
  source: z.enum(["router", "prometheus"]),
  measure: z.enum(["error-rate", "latency"]),
  query: text,
  direction: z.enum(["increase", "decrease", "either"]),
  nanStrategy: z.enum(["remove", "replace"]),
  outliers: z.enum(["keep", "remove"]),
  noData: z.enum(["inconclusive", "fail", "pass"]),
});
const analysis = keyed(ANALYSIS_KEYS, {
  judge: keyed(JUDGE_KEYS, {
    metrics: z.array(judgeMetric),
    thresholds: z.strictObject({ pass: numberish.optional(), marginal: numberish.optional() }),
  }),
  metrics: z.array(judgeMetric),
  successCondition: text,
  failureCondition: text,
  templates: z.array(z.strictObject({ templateName: text, clusterScope: z.boolean().optional() })),
  args: z.array(
    z.strictObject({ name: text, value: z.unknown().optional(), valueFrom: z.unknown().optional() }),
  ),
});
const upstream = keyed(UPSTREAM_KEYS, {
  url: text,
  command: z.union([text, z.array(text)]),
  env: z.record(z.string(), z.unknown()),
  cwd: text,
  label: text,
});
const step = z.union([
  z.strictObject({ setWeight: numberish }),
  z.strictObject({ pause: z.union([z.strictObject({ duration: durationish.optional() }), z.null()]) }),
  z.strictObject({ analysis }),
]);
const rolloutSpec = keyed(SPEC_KEYS, {
  listen: text,
  stable: upstream,
  canary: upstream,
  baseline: upstream,
  stickiness: z.strictObject({ header: text.optional(), cookie: text.optional() }),
  steps: z.array(step),
  analysis,
  prometheus: text,
});

const argoMetric = keyed(ARGO_METRIC_KEYS, {
  name: text,
  interval: durationish,
  initialDelay: durationish,
  count: numberish,
  successCondition: text,
  failureCondition: text,
  failureLimit: numberish,
  inconclusiveLimit: numberish,
  consecutiveErrorLimit: numberish,
  provider: z.strictObject({
    prometheus: keyed(PROMETHEUS_KEYS, {
      address: text,
      query: text,
      timeout: numberish,
      headers: z.array(z.strictObject({ key: text, value: text })),
      rangeQuery: z.strictObject({ start: text, end: text.optional(), step: durationish.optional() }),
    }),
  }),
});
const analysisTemplate = z.strictObject({
  apiVersion: z.string().regex(/^argoproj\.io\//),
  kind: z.enum(["AnalysisTemplate", "ClusterAnalysisTemplate"]),
  metadata,
  spec: keyed(TEMPLATE_SPEC_KEYS, {
    args: z.array(
      z.strictObject({ name: text, value: z.unknown().optional(), valueFrom: z.unknown().optional() }),
    ),
    metrics: z.array(argoMetric),
  }),
});

const openSlo = z.looseObject({
  apiVersion: z.literal("openslo/v1"),
  kind: z.enum(OPENSLO_KINDS),
  metadata: z.looseObject({ name: z.string(), displayName: z.string().optional() }),
  spec: z.record(z.string(), z.unknown()),
});

/** Every document kind `withstand schema` knows, by the name it is asked for. */
export const DOCUMENT_SCHEMAS: ReadonlyMap<string, { title: string; schema: z.ZodType }> = new Map([
  ["Experiment", { title: "withstand Experiment", schema: nativeTop("Experiment", experimentBody(true)) }],
  ["chaostoolkit", { title: "Chaos Toolkit experiment", schema: experimentBody(false) }],
  ["LoadTest", { title: "withstand LoadTest", schema: nativeTop("LoadTest", loadBody) }],
  ["Rollout", { title: "withstand Rollout", schema: nativeTop("Rollout", rolloutSpec) }],
  ["OpenSLO", { title: "OpenSLO v1 document (structure only)", schema: openSlo }],
  ["Synthetic", { title: "withstand Synthetic", schema: nativeTop("Synthetic", SYNTHETIC_SPEC) }],
  ["Heartbeat", { title: "withstand Heartbeat", schema: nativeTop("Heartbeat", HEARTBEAT_SPEC) }],
  [
    "AnalysisTemplate",
    { title: "Argo Rollouts AnalysisTemplate (the part withstand reads)", schema: analysisTemplate },
  ],
]);

type Json = Record<string, unknown>;

/** One fault kind as JSON Schema: its own schema's keys plus `kind`. */
function faultKindSchema(kind: string, schema: z.ZodType): Json {
  const s = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-7" }) as Json;
  delete s.$schema;
  const properties = { kind: { const: kind }, ...((s.properties as Json | undefined) ?? {}) };
  const required = ["kind", ...((s.required as string[] | undefined) ?? [])];
  return { ...s, properties, required };
}

/** Each provider kind as JSON Schema: its keys, any-valued (their meaning is Chaos Toolkit's). */
function providerSchemas(): Json[] {
  return [...PROBE_KINDS.values()].map((k) => ({
    type: "object",
    properties: Object.fromEntries(k.keys.map((key) => [key, key === "type" ? { const: k.type } : {}])),
    required: ["type"],
    additionalProperties: false,
  }));
}

/** The JSON Schema (draft-07, which editors' YAML servers read) of a document kind. */
export function jsonSchemaOf(name: string): Json | undefined {
  const entry = DOCUMENT_SCHEMAS.get(name);
  if (!entry) return undefined;
  const raw = z.toJSONSchema(entry.schema, {
    io: "input",
    unrepresentable: "any",
    target: "draft-7",
    reused: "inline",
  }) as Json;
  // The placeholders become one alternative per registered kind, each with its own keys.
  const definitions = raw.definitions as Json | undefined;
  if (definitions?.["withstand-fault"])
    definitions["withstand-fault"] = {
      anyOf: [...FAULT_KINDS].map(([k, v]) => faultKindSchema(k, v.schema)),
    };
  if (definitions?.["withstand-provider"]) definitions["withstand-provider"] = { anyOf: providerSchemas() };
  return { ...raw, title: entry.title };
}

/** The schema whose structure a document of this reader kind must have, for the validate cross-check. */
export function structureOf(kind: string, value: unknown): z.ZodType | undefined {
  if (isTemplate(value)) return analysisTemplate;
  if (
    kind === "Rollout" &&
    (typeof value !== "object" ||
      value === null ||
      !("apiVersion" in value) ||
      value.apiVersion !== "withstand/v1")
  )
    return undefined;
  if (kind === "Experiment") {
    const native = typeof value === "object" && value !== null && "apiVersion" in value;
    return DOCUMENT_SCHEMAS.get(native ? "Experiment" : "chaostoolkit")?.schema;
  }
  return DOCUMENT_SCHEMAS.get(kind)?.schema;
}
