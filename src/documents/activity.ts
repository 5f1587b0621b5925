import { z } from "zod";
import type {
  ActivitySpec,
  FaultSpec,
  LoadTolerance,
  ProviderSpec,
  ToleranceSpec,
} from "../core/experiment.js";
import { suggest } from "../core/suggest.js";
import { METRICS, type MetricName, parseThreshold } from "../core/threshold.js";
import { FAULT_SCHEMAS as FAULT_KINDS, faultSchema as faultKind } from "../faults/schemas/index.js";
import { PROBE_KINDS } from "../probes/index.js";
import { ANOMALY_TOLERANCE, anomalyCheckOf } from "./anomaly-check.js";
import {
  activityFields,
  jsonPathToleranceSchema,
  rangeToleranceSchema,
  regexToleranceSchema,
} from "./experiment-schema.js";
import { readLoadBody } from "./load-test.js";
import { check, checkKeys, isRecord, type Reporter, scoped } from "./reporter.js";
import type { Path } from "./source.js";
import { readString } from "./values.js";

/** An activity mapping: its own fields typed, `provider`, `fault`, `load` and `tolerance` read by their kinds. */
const activitySchema = z.strictObject({
  ...activityFields,
  provider: z.unknown().optional(),
  fault: z.unknown().optional(),
  load: z.unknown().optional(),
  tolerance: z.unknown().optional(),
});
export const ACTIVITY_KEYS = Object.keys(activitySchema.shape);

export interface ActivityContext {
  /** Native documents opt in to method-probe tolerances and other stricter semantics. */
  native: boolean;
  /** Where the activity sits: hypothesis probes must carry a tolerance. */
  role: "hypothesis" | "method" | "rollback" | "tolerance-probe";
  loc: string;
}

export function parseActivity(raw: unknown, r: Reporter, ctx: ActivityContext): ActivitySpec | undefined {
  if (!isRecord(raw)) {
    r.error([], `got ${JSON.stringify(raw)} (expected an activity mapping with type, name and provider)`);
    return undefined;
  }
  const fields = check(activitySchema, raw, [], r, { ctkKeys: true });
  const type = raw.type;
  const name =
    typeof raw.name === "number"
      ? String(raw.name)
      : typeof raw.name === "string" && raw.name !== ""
        ? raw.name
        : undefined;
  checkControls(raw.controls, name ?? "?", r);

  const sources = ["provider", "fault", "load"].filter((k) => raw[k] !== undefined);
  const isLoadCheck = isRecord(raw.tolerance) && raw.tolerance.type === "load";
  if (sources.length === 0 && !isLoadCheck) {
    r.error(
      ["provider"],
      "is required (expected a provider {type: http|process}, a native fault or a native load)",
    );
  } else if (sources.length > 1) {
    r.error(
      [sources[1] ?? "provider"],
      `cannot be combined with ${sources[0]} (expected exactly one of provider, fault, load)`,
    );
  }
  let provider: ProviderSpec | undefined;
  let secretScopes: string[] = [];
  if (raw.provider !== undefined) {
    const parsed = parseProvider(raw.provider, scoped(r, ["provider"]), name ?? "?");
    provider = parsed?.provider;
    secretScopes = parsed?.secrets ?? [];
  }
  const fault = raw.fault !== undefined ? parseFault(raw.fault, scoped(r, ["fault"])) : undefined;
  const load =
    raw.load !== undefined ? readLoadBody(raw.load, scoped(r, ["load"]), name ?? "load") : undefined;
  if (fault && type === "probe") r.error(["type"], `a fault is an action (expected type: action)`);

  let tolerance: ToleranceSpec | undefined;
  if (raw.tolerance !== undefined) {
    tolerance = parseTolerance(raw.tolerance, scoped(r, ["tolerance"]), ctx);
    if (ctx.role === "method" && !ctx.native && type === "probe") {
      r.warn(
        ["tolerance"],
        "Chaos Toolkit ignores tolerances on method probes; withstand checks them only in native documents (apiVersion: withstand/v1)",
      );
    }
    if (ctx.role === "rollback") r.warn(["tolerance"], "tolerances on rollbacks are not checked");
  } else if (ctx.role === "hypothesis") {
    r.error(
      ["tolerance"],
      "is required on a steady-state-hypothesis probe (expected a literal, a list, or {type: range|regex|jsonpath|probe|load|anomaly})",
    );
  }
  if (
    provider &&
    tolerance !== undefined &&
    (typeof tolerance === "string" || typeof tolerance === "boolean")
  ) {
    r.warn(
      ["tolerance"],
      `a ${typeof tolerance} tolerance never matches an ${provider.type} result ({status, ...}) (did you mean {type: regex, target: ${provider.type === "http" ? "body" : "stdout"}} or a status code?)`,
    );
  }

  // With `${var}` placeholders at validation time the fields are as written; the run reads them again.
  const pauses =
    fields?.pauses && typeof fields.pauses.beforeMs === "number"
      ? fields.pauses
      : { beforeMs: 0, afterMs: 0 };
  const background = fields?.background === true;
  const save = typeof fields?.save === "string" ? fields.save : undefined;
  if (type !== "probe" && type !== "action") return undefined;
  if (name === undefined) return undefined;
  return {
    type,
    name,
    provider,
    fault,
    load,
    tolerance,
    pauses,
    background,
    save,
    secretScopes,
    loc: ctx.loc,
    raw,
  };
}

/** "a", "a" or "b", "a", "b" or "c". */
function either(names: readonly string[], quote = true): string {
  const q = names.map((n) => (quote ? JSON.stringify(n) : n));
  return q.length <= 1 ? (q[0] ?? "") : `${q.slice(0, -1).join(", ")} or ${q.at(-1)}`;
}

/** A provider: its kind from the registry (probes/), its fields read by that kind. */
function parseProvider(
  raw: unknown,
  r: Reporter,
  activity: string,
): { provider?: ProviderSpec; secrets: string[] } | undefined {
  const kinds = [...PROBE_KINDS.keys()];
  if (!isRecord(raw)) {
    r.error([], `got ${JSON.stringify(raw)} (expected a mapping with type ${either(kinds, false)})`);
    return undefined;
  }
  const secrets = Array.isArray(raw.secrets)
    ? raw.secrets.filter((s): s is string => typeof s === "string")
    : [];
  if (raw.secrets !== undefined && !Array.isArray(raw.secrets))
    r.error(["secrets"], "expected a list of secret scope names");
  const kind = typeof raw.type === "string" ? PROBE_KINDS.get(raw.type) : undefined;
  if (kind) {
    const provider = check(kind.schema, raw, [], r, { ctkKeys: true }) as ProviderSpec | undefined;
    for (const w of kind.lint?.(raw) ?? []) r.warn(w.path, w.message);
    return provider ? { provider, secrets } : { secrets };
  }
  if (raw.type === "python")
    r.error(
      ["type"],
      `activity "${activity}" uses a python provider, which withstand cannot run (expected type ${either(kinds, false)}; run the Python code as a process provider, e.g. {type: process, path: python3, arguments: ["-c", "..."]})`,
    );
  else
    r.error(
      ["type"],
      raw.type === undefined
        ? `is required (expected ${either(kinds)})`
        : `got ${JSON.stringify(raw.type)} (expected ${either(kinds)})`,
    );
  return undefined;
}

/**
 * Controls on an activity are Python (chaostoolkit's control interface). A control can be a human
 * safety gate (chaossimpleinteract asks before each activity): dropping it silently is worse than
 * not running, so it is refused, like an experiment-level one.
 */
function checkControls(controls: unknown, activity: string, r: Reporter): void {
  if (controls === undefined) return;
  if (!Array.isArray(controls)) {
    r.error(["controls"], "expected a list of controls");
    return;
  }
  controls.forEach((c, i) => {
    const name = isRecord(c) ? String(c.name ?? "?") : "?";
    r.error(
      ["controls", i],
      `control "${name}" on activity "${activity}" is a Chaos Toolkit (Python) control, which withstand cannot run (expected none; remove it, or use withstand's own safety features such as --deadline and withstand halt)`,
    );
  });
}

/** A native fault: its kind from the registry, its fields checked by that kind's one schema. */
function parseFault(raw: unknown, r: Reporter): FaultSpec | undefined {
  const kinds = [...FAULT_KINDS.keys()];
  if (!isRecord(raw)) {
    r.error([], `expected a mapping {kind, ...} (kind: ${kinds.join(", ")})`);
    return undefined;
  }
  const kind = typeof raw.kind === "string" ? faultKind(raw.kind) : undefined;
  if (!kind) {
    const hint = typeof raw.kind === "string" ? suggest(raw.kind, kinds) : undefined;
    r.error(
      ["kind"],
      raw.kind === undefined
        ? `is required (expected one of ${kinds.join(", ")})`
        : `got ${JSON.stringify(raw.kind)} (expected one of ${kinds.join(", ")}${hint ? `; did you mean ${hint}?` : ""})`,
    );
    return undefined;
  }
  const { kind: _kind, ...fields } = raw;
  const params = check(kind.schema, fields, [], r);
  return params === undefined ? undefined : { kind: kind.kind, params };
}

export function parseTolerance(raw: unknown, r: Reporter, ctx: ActivityContext): ToleranceSpec | undefined {
  if (typeof raw === "boolean" || typeof raw === "number" || typeof raw === "string") return raw;
  if (Array.isArray(raw)) return raw;
  if (!isRecord(raw)) {
    r.error(
      [],
      `got ${JSON.stringify(raw)} (expected a literal, a list, or {type: range|regex|jsonpath|probe|load|anomaly})`,
    );
    return undefined;
  }
  const path: Path = [];
  switch (raw.type) {
    // Unknown keys follow the file: ignored with a warning in Chaos Toolkit files, errors in native ones.
    case "range":
      return check(rangeToleranceSchema, raw, path, r, { ctkKeys: true });
    case "regex":
      return check(regexToleranceSchema, raw, path, r, { ctkKeys: true });
    case "jsonpath":
      return check(jsonPathToleranceSchema, raw, path, r, { ctkKeys: true });
    case "probe": {
      const probe = parseActivity({ ...raw, type: "probe", name: raw.name ?? "tolerance-probe" }, r, {
        ...ctx,
        role: "tolerance-probe",
      });
      return probe ? { type: "probe", activity: probe } : undefined;
    }
    case "load":
      return parseLoadTolerance(raw, r);
    case "anomaly": {
      const v = check(ANOMALY_TOLERANCE, raw, path, r);
      if (!v) return undefined;
      const { type: _type, ...fields } = v;
      return { type: "anomaly", check: anomalyCheckOf(fields) };
    }
    default:
      r.error(
        ["type"],
        raw.type === undefined
          ? "is required (expected range, regex, jsonpath, probe, load or anomaly)"
          : `got ${JSON.stringify(raw.type)} (expected range, regex, jsonpath, probe, load or anomaly)`,
      );
      return undefined;
  }
}

function parseLoadTolerance(raw: Record<string, unknown>, r: Reporter): LoadTolerance | undefined {
  checkKeys(raw, ["type", "load", "metric", "threshold", "thresholds"], [], r);
  const thresholds: LoadTolerance["thresholds"] = [];
  const add = (metric: unknown, exprs: unknown, path: Path) => {
    if (typeof metric === "string" && metric.includes("{")) {
      r.error(
        path,
        `sub-metric ${metric}: tag filters work in LoadTest thresholds and withstand load --threshold, not yet in a load tolerance (expected one of ${METRICS.join(", ")})`,
      );
      return;
    }
    if (typeof metric !== "string" || !METRICS.includes(metric as MetricName)) {
      r.error(path, `got ${JSON.stringify(metric)} (expected one of ${METRICS.join(", ")})`);
      return;
    }
    const list = Array.isArray(exprs) ? exprs : [exprs];
    list.forEach((e, i) => {
      const where = Array.isArray(exprs) ? [...path, i] : path;
      if (typeof e !== "string") {
        r.error(
          where,
          `got ${JSON.stringify(e)} (expected a k6 threshold such as "p(99)<500" or "rate<0.01")`,
        );
        return;
      }
      const parsed = parseThreshold(e, metric as MetricName);
      if (!parsed.ok) r.error(where, parsed.error);
      else thresholds.push({ metric: metric as MetricName, expression: e });
    });
  };
  if (raw.metric !== undefined || raw.threshold !== undefined) add(raw.metric, raw.threshold, ["threshold"]);
  if (raw.thresholds !== undefined) {
    if (!isRecord(raw.thresholds))
      r.error(["thresholds"], "expected a mapping of metric name to threshold expressions");
    else
      for (const [metric, exprs] of Object.entries(raw.thresholds))
        add(metric, exprs, ["thresholds", metric]);
  }
  if (thresholds.length === 0 && raw.metric === undefined && raw.thresholds === undefined) {
    r.error(
      [],
      'expected {metric, threshold} or {thresholds: {metric: [expr]}} (e.g. {metric: http_req_failed, threshold: "rate<0.01"})',
    );
  }
  const load =
    raw.load === undefined ? undefined : readString(raw.load, ["load"], r, "the name of a load activity");
  return { type: "load", load, thresholds };
}
