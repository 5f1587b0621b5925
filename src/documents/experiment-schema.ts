import { z } from "zod";
import { durationSchema } from "../core/duration.js";
import { HYPOTHESIS_STRATEGIES, ROLLBACK_STRATEGIES, type RuntimeSpec } from "../core/experiment.js";
import { type HostPort, parseHostPort } from "../core/host-port.js";
import { isRecord } from "../core/reader.js";
import type { JsonPathTolerance, RangeTolerance, RegexTolerance } from "../core/tolerance.js";
import {
  bool,
  duration,
  mapping,
  nonEmpty,
  num,
  oneOf,
  PLACEHOLDER_PATTERN,
  seconds,
} from "../core/values.js";
import { ANOMALY_TOLERANCE } from "./anomaly-check.js";

/**
 * The one schema of an experiment's parts (native `Experiment` and Chaos Toolkit files): the reader
 * (`documents/experiment.ts`, `documents/activity.ts`) checks documents with these, and `withstand
 * schema` exports them. All are strict objects: in a Chaos Toolkit file the reader turns an unknown
 * key into a warning (Chaos Toolkit ignores it), in a native document it is an error.
 */

export const CTK_TOP = [
  "title",
  "description",
  "tags",
  "contributions",
  "steady-state-hypothesis",
  "method",
  "rollbacks",
  "configuration",
  "secrets",
  "controls",
  "extensions",
  "runtime",
  "version",
  "dry",
];
export const NATIVE_SPEC_EXTRA = ["proxies", "proxy-api", "dns", "lab"];

/** `pauses: {before, after}`: durations (seconds in Chaos Toolkit), 0 allowed. */
export const pausesSchema = z
  .strictObject({ before: duration.optional(), after: duration.optional() })
  .transform((p) => ({ beforeMs: p.before ?? 0, afterMs: p.after ?? 0 }));

/** `runtime: {rollbacks: {strategy}, hypothesis: {strategy, frequency, fail_fast}}`. */
export const runtimeSchema = z
  .strictObject({
    rollbacks: z.strictObject({ strategy: oneOf(ROLLBACK_STRATEGIES).optional() }).optional(),
    hypothesis: z
      .strictObject({
        strategy: oneOf(HYPOTHESIS_STRATEGIES).optional(),
        frequency: durationSchema({ positive: true }, "how often the hypothesis is checked").optional(),
        fail_fast: bool.optional(),
      })
      .optional(),
  })
  .transform((r): RuntimeSpec => {
    const out: RuntimeSpec = {};
    if (r.rollbacks?.strategy !== undefined) out.rollbackStrategy = r.rollbacks.strategy;
    if (r.hypothesis?.strategy !== undefined) out.hypothesisStrategy = r.hypothesis.strategy;
    if (r.hypothesis?.frequency !== undefined) out.hypothesisFrequencyMs = r.hypothesis.frequency;
    if (r.hypothesis?.fail_fast !== undefined) out.failFast = r.hypothesis.fail_fast;
    return out;
  });

const HOST_PORT_PATTERN = String.raw`^(\[[0-9a-fA-F:.]+\]|[^\s:]+|[0-9a-fA-F:]+)(:\d{1,5})?$`;

/** HOST:PORT (`defaultPort` when the port is left out). */
function hostPort(expected: string, defaultPort?: number): z.ZodType<HostPort> {
  return z
    .unknown()
    .transform((v, ctx) => {
      const hp = typeof v === "string" ? parseHostPort(v, defaultPort) : undefined;
      if (hp) return hp;
      ctx.addIssue({ code: "custom", message: `got ${JSON.stringify(v)} (expected ${expected})` });
      return z.NEVER;
    })
    .meta({ type: "string", pattern: HOST_PORT_PATTERN, description: expected });
}

const IP = /^[0-9a-f.:]+$/i;
const addresses = z
  .unknown()
  .transform((v, ctx) => {
    const list = Array.isArray(v) ? v.map(String) : [String(v)];
    if (list.some((a) => !IP.test(a)))
      ctx.addIssue({
        code: "custom",
        message: `got ${JSON.stringify(v)} (expected an IP address or a list of them)`,
      });
    return list;
  })
  .meta({
    anyOf: [
      { type: "string", pattern: "^[0-9a-fA-F.:]+$" },
      { type: "array", items: { type: "string", pattern: "^[0-9a-fA-F.:]+$" } },
    ],
  });

/** `dns: {listen, upstream, records}`: a withstand DNS server the run starts for its dns faults. */
export const dnsSchema = z
  .strictObject({
    listen: hostPort("HOST:PORT, e.g. 127.0.0.1:5353").optional(),
    upstream: z
      .union([z.literal("none"), hostPort("HOST:PORT, or none to answer only the records", 53)])
      .optional(),
    records: z.record(z.string(), addresses).optional(),
  })
  .transform((d) => ({
    listen: d.listen ?? { host: "127.0.0.1", port: 5353 },
    upstream: d.upstream ?? ("system" as const),
    records: d.records ?? {},
  }));

const upstream = nonEmpty("host:port").superRefine((u, ctx) => {
  if (!/:\d+$/.test(u) && !/\$\{/.test(u))
    ctx.addIssue({ code: "custom", message: `got ${JSON.stringify(u)} (expected host:port)` });
});

/** One of `proxies:`: an in-process proxy the run starts (the engine reads the mapping as written). */
export const proxySchema = z.strictObject({
  name: nonEmpty("a proxy name"),
  listen: nonEmpty("host:port (port 0 picks a free one)").optional(),
  upstream,
  enabled: bool.optional(),
  protocol: oneOf(["tcp", "http"]).optional(),
  toxics: z.array(mapping("a toxic {type, attributes}")).optional(),
});

const envRef = z.looseObject({
  type: z.literal("env"),
  key: nonEmpty("the name of an environment variable"),
  default: z.unknown().optional(),
  env_var_type: z.string().optional(),
});
const ENV_REF_JSON = {
  type: "object",
  properties: {
    type: { const: "env" },
    key: { type: "string", minLength: 1 },
    env_var_type: { type: "string" },
  },
  required: ["type", "key"],
};

/** A configuration value: a literal, or `{type: env, key, default?}` (dynamic probe values are refused). */
const configValue = z
  .unknown()
  .superRefine((v, ctx) => {
    if (!isRecord(v) || !("type" in v)) return;
    if (v.type !== "env") {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `got ${JSON.stringify(v.type)} (expected env; dynamic probe configuration is not supported)`,
      });
      return;
    }
    const r = envRef.safeParse(v);
    if (!r.success)
      for (const issue of r.error.issues)
        ctx.addIssue({ code: "custom", path: issue.path as (string | number)[], message: issue.message });
  })
  .meta({
    anyOf: [
      { type: ["string", "number", "boolean", "null", "array"] },
      ENV_REF_JSON,
      { type: "object", not: { required: ["type"] } },
    ],
  });

/** A secret: a literal, or `{type: env, key}` (vault secrets are refused). */
const secretValue = z
  .unknown()
  .superRefine((v, ctx) => {
    if (!isRecord(v)) return;
    if (v.type !== "env") {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `got ${JSON.stringify(v.type)} (expected env; vault secrets are not supported)`,
      });
      return;
    }
    const r = envRef.safeParse(v);
    if (!r.success)
      for (const issue of r.error.issues)
        ctx.addIssue({ code: "custom", path: issue.path as (string | number)[], message: issue.message });
  })
  .meta({ anyOf: [{ type: ["string", "number", "boolean", "null", "array"] }, ENV_REF_JSON] });

export const configurationSchema = z.record(z.string(), configValue);
export const secretsSchema = z.record(
  z.string(),
  mapping("a mapping of names to values").pipe(z.record(z.string(), secretValue)),
);

/** `steady-state-hypothesis.slo`: judge the run by the error budget it burns (native only). */
export const sloHypothesisSchema = z.strictObject({
  file: nonEmpty("an OpenSLO v1 file, relative to this experiment"),
  name: nonEmpty("the metadata.name of an SLO in that file"),
  "max-budget-burn": z
    .unknown()
    .transform((raw, ctx) => {
      const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(String(raw));
      const share = m ? Number(m[1]) / 100 : typeof raw === "number" ? raw : Number.NaN;
      if (share > 0 && share <= 1) return share;
      ctx.addIssue({
        code: "custom",
        message: `got ${JSON.stringify(raw)} (expected a share of the budget such as 2%)`,
      });
      return z.NEVER;
    })
    .meta({
      anyOf: [
        { type: "string", pattern: String.raw`^\d+(\.\d+)?\s*%$` },
        { type: "number", exclusiveMinimum: 0, maximum: 1 },
      ],
    })
    .optional(),
});

/** An activity's own fields; `provider`, `fault`, `load` and `tolerance` are read by their kinds. */
export const activityFields = {
  type: z
    .unknown()
    .transform((v, ctx) => {
      if (v === "probe" || v === "action") return v;
      ctx.addIssue({
        code: "custom",
        message: `${v === undefined ? "is required" : `got ${JSON.stringify(v)}`} (expected "probe" or "action")`,
      });
      return z.NEVER;
    })
    .meta({ type: "string", enum: ["probe", "action"] }),
  name: nonEmpty("a non-empty activity name"),
  pauses: pausesSchema.optional(),
  background: bool.optional(),
  save: nonEmpty("a variable name")
    .superRefine((s, ctx) => {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s))
        ctx.addIssue({
          code: "custom",
          message: `got ${JSON.stringify(s)} (expected a variable name of letters, digits, _ . -)`,
        });
    })
    .optional(),
  // Chaos Toolkit validates an activity's timeout and never applies it (providers have their own).
  timeout: seconds("seconds").optional(),
  dry: z.unknown().optional(),
  ref: nonEmpty("the name of an earlier activity").optional(),
  description: z.string().optional(),
  // Python controls: refused by the reader, each with its name.
  controls: z.unknown().meta({ type: "array" }).optional(),
};

export { PLACEHOLDER_PATTERN };

/**
 * A whole experiment body (a Chaos Toolkit file, or a native document's `spec`), for `withstand schema`:
 * the same parts the reader checks, with each activity's provider and fault given by the registries.
 */
export function experimentBodySchema(
  native: boolean,
  kinds: { provider: z.ZodType; fault: z.ZodType; load: z.ZodType },
): z.ZodObject {
  const activity = z.union([
    z.strictObject({
      ...activityFields,
      provider: kinds.provider.optional(),
      fault: kinds.fault.optional(),
      load: kinds.load.optional(),
      tolerance: z
        .union([
          z.unknown().meta({ type: ["boolean", "number", "string", "array"] }),
          rangeToleranceSchema,
          regexToleranceSchema,
          jsonPathToleranceSchema,
          z.looseObject({ type: z.enum(["probe", "load"]) }),
          ANOMALY_TOLERANCE,
        ])
        .optional(),
    }),
    z.string().meta({ description: "the name of an activity defined earlier (a reference)" }),
  ]);
  const shape = {
    title: nonEmpty("a short title"),
    description: z.string().optional(),
    tags: z.array(z.string().min(1)).optional(),
    contributions: z.record(z.string(), z.enum(["high", "medium", "low", "none"])).optional(),
    "steady-state-hypothesis": z
      .strictObject({
        title: z.string(),
        probes: z.array(activity).optional(),
        controls: z.array(z.unknown()).optional(),
        ...(native ? { slo: sloHypothesisSchema.optional() } : {}),
      })
      .optional(),
    method: z.array(activity),
    rollbacks: z.array(activity).optional(),
    configuration: configurationSchema.optional(),
    secrets: secretsSchema.optional(),
    controls: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
    extensions: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
    runtime: runtimeSchema.optional(),
    dry: z.unknown().optional(),
  };
  return native
    ? z.strictObject({
        ...shape,
        // The title may come from metadata.name.
        title: shape.title.optional(),
        proxies: z.array(proxySchema).optional(),
        "proxy-api": z.string().optional(),
        dns: dnsSchema.optional(),
        lab: z.string().min(1).optional().meta({ description: "a kind: Lab file, relative to this file" }),
      })
    : z.strictObject({ ...shape, version: z.unknown().optional() });
}

const target = nonEmpty("a field of the probe's output, e.g. status, body, stdout").optional();
const NUMBER_JSON = { anyOf: [{ type: "number" }, { type: "string", pattern: PLACEHOLDER_PATTERN }] };

/** `{type: range, range: [min, max], target?}`: an inclusive range. */
export const rangeToleranceSchema = z
  .strictObject({
    type: z.literal("range"),
    range: z
      .unknown()
      .transform((v, ctx): [number, number] => {
        if (!Array.isArray(v) || v.length !== 2) {
          ctx.addIssue({ code: "custom", message: "expected [min, max]" });
          return z.NEVER;
        }
        const bound = num("a number");
        const [lo, hi] = v.map((x, i) => {
          const r = bound.safeParse(x);
          if (!r.success)
            for (const issue of r.error.issues)
              ctx.addIssue({ code: "custom", path: [i], message: issue.message });
          return r.success ? r.data : undefined;
        });
        if (lo === undefined || hi === undefined) return z.NEVER;
        if (lo > hi)
          ctx.addIssue({ code: "custom", message: `min ${lo} is above max ${hi} (expected [min, max])` });
        return [lo, hi];
      })
      .meta({ type: "array", items: NUMBER_JSON, minItems: 2, maxItems: 2 }),
    target,
  })
  .transform((t): RangeTolerance => ({ type: "range", range: t.range, target: t.target }));

/** `{type: regex, pattern, target?}`: a search in the output (stdout or body unless `target`). */
export const regexToleranceSchema = z
  .strictObject({
    type: z.literal("regex"),
    pattern: nonEmpty("a regular expression").superRefine((p, ctx) => {
      try {
        new RegExp(p);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `invalid regular expression: ${(err as Error).message}` });
      }
    }),
    target,
  })
  .transform((t): RegexTolerance => ({ type: "regex", pattern: t.pattern, target: t.target }));

/** `{type: jsonpath, path, expect?, count?, target?}`. */
export const jsonPathToleranceSchema = z
  .strictObject({
    type: z.literal("jsonpath"),
    path: nonEmpty("a JSONPath such as $.items[*].status"),
    expect: z.unknown().optional(),
    count: num("a count").optional(),
    target,
  })
  .transform((t): JsonPathTolerance => {
    const out: JsonPathTolerance = { type: "jsonpath", path: t.path, count: t.count, target: t.target };
    if ("expect" in t) out.expect = t.expect;
    return out;
  });
