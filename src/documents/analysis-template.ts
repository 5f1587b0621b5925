import { dirname, isAbsolute, resolve } from "node:path";
import { parseCondition } from "../core/condition.js";
import { PACT_DEFAULT_CONDITION, type PactGate, pactGateSchema } from "../core/pact/gate.js";
import { type AnalysisSpec, metricLimitProblems, type QueryProvider } from "../core/rollout.js";
import { suggest } from "../core/suggest.js";
import { ANOMALY_CHECK, anomalyCheckOf } from "./anomaly-check.js";
import type { Diagnostic } from "./diagnostic.js";
import { check, checkKeys, isRecord, type Reporter, scoped } from "./reporter.js";
import { diagnosticAt, type Path, positionOf, type SourceDoc } from "./source.js";
import { readCount, readDuration, readNumber, readString } from "./values.js";

/**
 * Argo Rollouts' AnalysisTemplate and ClusterAnalysisTemplate (argoproj.io/v1alpha1), read unchanged:
 * `args` with defaults, `metrics` with Argo's schedule and limits, and `provider.prometheus`. A step
 * or background analysis refers to templates by name with `templates` and fills their `args`; every
 * `{{args.NAME}}` is substituted before the metric is read, as Argo does.
 */
export const TEMPLATE_KINDS = ["AnalysisTemplate", "ClusterAnalysisTemplate"];
export const TEMPLATE_SPEC_KEYS = ["args", "metrics", "templates", "dryRun", "measurementRetention"];
export const ARGO_METRIC_KEYS = [
  "name",
  "interval",
  "initialDelay",
  "count",
  "successCondition",
  "failureCondition",
  "failureLimit",
  "inconclusiveLimit",
  "consecutiveErrorLimit",
  "consecutiveSuccessLimit",
  "provider",
];
export const PROMETHEUS_KEYS = [
  "address",
  "query",
  "timeout",
  "headers",
  "insecure",
  "rangeQuery",
  "authentication",
  "caCert",
];
const ARGO_PROVIDERS = [
  "prometheus",
  "web",
  "job",
  "datadog",
  "newRelic",
  "wavefront",
  "kayenta",
  "cloudWatch",
  "graphite",
  "influxdb",
  "skywalking",
  "plugin",
];

export interface AnalysisTemplateDoc {
  name: string;
  cluster: boolean;
  doc: SourceDoc;
  /** Where the template sits in its document (a top-level list item or the whole document). */
  base: Path;
  spec: Record<string, unknown>;
}

export const isTemplate = (v: unknown): v is Record<string, unknown> =>
  isRecord(v) &&
  typeof v.apiVersion === "string" &&
  v.apiVersion.startsWith("argoproj.io/") &&
  TEMPLATE_KINDS.includes(String(v.kind));

function reporterFor(doc: SourceDoc, base: Path, sink: Diagnostic[]): Reporter {
  return {
    deferVars: false,
    strict: true,
    error: (path, message, onKey) =>
      sink.push(diagnosticAt(doc, [...base, ...path], message, "error", onKey)),
    warn: (path, message, onKey) =>
      sink.push(diagnosticAt(doc, [...base, ...path], message, "warning", onKey)),
  };
}

/**
 * Every AnalysisTemplate in these documents, checked for shape, by name. `others` (documents of the
 * other files given) are read for their templates only; their problems are reported with their own file.
 */
export function collectTemplates(
  docs: readonly SourceDoc[],
  sink: Diagnostic[],
  others: readonly SourceDoc[] = [],
): Map<string, AnalysisTemplateDoc> {
  const out = new Map<string, AnalysisTemplateDoc>();
  const silent: Diagnostic[] = [];
  for (const [n, doc] of [...docs, ...others].entries()) {
    const own = n < docs.length;
    const values = Array.isArray(doc.value) ? doc.value : [doc.value];
    values.forEach((value, i) => {
      if (!isTemplate(value)) return;
      const base: Path = Array.isArray(doc.value) ? [i] : [];
      const r = reporterFor(doc, base, own ? sink : silent);
      checkKeys(value, ["apiVersion", "kind", "metadata", "spec"], [], r);
      const name = isRecord(value.metadata) ? value.metadata.name : undefined;
      if (typeof name !== "string" || name === "") {
        r.error(["metadata", "name"], "is required (expected the template's name)");
        return;
      }
      // Argo composes templates: `spec.templates` names others whose args and metrics it takes.
      const spec = isRecord(value.spec) ? value.spec : undefined;
      const composed = Array.isArray(spec?.templates) && spec.templates.length > 0;
      if (!spec || (!composed && (!Array.isArray(spec.metrics) || spec.metrics.length === 0))) {
        r.error(
          ["spec", "metrics"],
          "is required (expected a non-empty list of metrics, or templates: [{templateName}] naming templates that have them)",
        );
        return;
      }
      checkKeys(spec, TEMPLATE_SPEC_KEYS, ["spec"], r);
      if (spec.metrics !== undefined && !Array.isArray(spec.metrics))
        r.error(["spec", "metrics"], "expected a list of metrics");
      if (out.has(name)) {
        if (own) r.error(["metadata", "name"], `duplicate AnalysisTemplate ${name}`);
        return;
      }
      out.set(name, { name, cluster: value.kind === "ClusterAnalysisTemplate", doc, base, spec });
    });
  }
  return out;
}

/** Replaces `{{args.NAME}}` (spaces allowed) in every string of a value; unknown names are reported. */
function substitute(v: unknown, args: Map<string, string>, missing: Set<string>): unknown {
  if (typeof v === "string")
    return v.replace(/\{\{\s*args\.([\w.-]+)\s*\}\}/g, (all, name: string) => {
      const value = args.get(name);
      if (value === undefined) missing.add(name);
      return value ?? all;
    });
  if (Array.isArray(v)) return v.map((x) => substitute(x, args, missing));
  if (isRecord(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, args, missing)]));
  return v;
}

/** The args of a step or a template: values by name, and the names whose `valueFrom` was refused. */
interface Args {
  values: Map<string, string | undefined>;
  /** Reported once where they are: no later "has no value" or "does not declare" for them. */
  refused: Set<string>;
}

/** `args: [{name, value}]` of a step or a template; `valueFrom` needs Kubernetes and is refused. */
function readArgs(raw: unknown, r: Reporter, path: Path, requireValue: boolean): Args {
  const out: Args = { values: new Map(), refused: new Set() };
  if (raw === undefined) return out;
  if (!Array.isArray(raw)) {
    r.error(path, "expected a list of {name, value}");
    return out;
  }
  raw.forEach((a, i) => {
    if (!isRecord(a)) {
      r.error([...path, i], "expected {name, value}");
      return;
    }
    checkKeys(a, ["name", "value", "valueFrom"], [...path, i], r);
    const name = readString(a.name, [...path, i, "name"], r, "the argument's name");
    if (a.valueFrom !== undefined) {
      r.error(
        [...path, i, "valueFrom"],
        "is not supported: withstand runs without Kubernetes, so podTemplateHashValue, fieldRef and secretKeyRef have nothing to read (expected value: ...)",
      );
      if (name !== undefined) out.refused.add(name);
      return;
    }
    if (a.value === undefined && requireValue)
      r.error([...path, i, "value"], "is required (expected the argument's value)");
    const value = a.value === undefined ? undefined : String(a.value);
    if (name !== undefined) out.values.set(name, value);
  });
  return out;
}

/** Argo's `rangeQuery.start` is an expr: withstand reads `now() - duration("5m")`, the documented form. */
function readLookback(start: unknown, end: unknown, r: Reporter): number | undefined {
  const now = (e: unknown) => typeof e === "string" && /^\s*now\(\)\s*$/.test(e);
  const m =
    typeof start === "string" ? /^\s*now\(\)\s*-\s*duration\(\s*["']([^"']+)["']\s*\)\s*$/.exec(start) : null;
  if (!m || !now(end ?? "now()")) {
    r.error(
      ["start"],
      `got ${JSON.stringify(start)} (withstand reads start: 'now() - duration("5m")' with end: 'now()')`,
    );
    return undefined;
  }
  return readDuration(m[1], ["start"], r);
}

function readPrometheus(raw: unknown, r: Reporter, timeoutFallbackMs: number): QueryProvider | undefined {
  if (!isRecord(raw)) {
    r.error([], "expected {address, query}");
    return undefined;
  }
  checkKeys(raw, PROMETHEUS_KEYS, [], r);
  const address = readString(raw.address, ["address"], r, "the Prometheus URL");
  const query = readString(raw.query, ["query"], r, "a PromQL query");
  const headers: Record<string, string> = {};
  if (raw.headers !== undefined) {
    if (!Array.isArray(raw.headers)) r.error(["headers"], "expected a list of {key, value}");
    else
      raw.headers.forEach((h, i) => {
        if (!isRecord(h) || typeof h.key !== "string") r.error(["headers", i], "expected {key, value}");
        else headers[h.key] = String(h.value ?? "");
      });
  }
  if (raw.authentication !== undefined) {
    const auth = isRecord(raw.authentication) ? raw.authentication : {};
    const basic = isRecord(auth.basicAuth) ? auth.basicAuth : undefined;
    const other = Object.keys(auth).filter((k) => k !== "basicAuth");
    if (other.length > 0)
      r.error(
        ["authentication", other[0] as string],
        "is not supported (withstand supports basicAuth and headers)",
      );
    else if (basic)
      headers.authorization = `Basic ${Buffer.from(`${String(basic.username ?? "")}:${String(basic.password ?? "")}`).toString("base64")}`;
  }
  if (raw.caCert !== undefined)
    r.error(["caCert"], "is not supported yet (expected an http:// or publicly trusted https:// address)");
  const timeoutS = raw.timeout === undefined ? undefined : readNumber(raw.timeout, ["timeout"], r, "seconds");
  const provider: QueryProvider = {
    type: "prometheus",
    address: address ?? "",
    query: query ?? "",
    headers,
    timeoutMs: timeoutS === undefined ? timeoutFallbackMs : timeoutS * 1000,
  };
  if (raw.rangeQuery !== undefined) {
    const rq = isRecord(raw.rangeQuery) ? raw.rangeQuery : {};
    checkKeys(rq, ["start", "end", "step"], ["rangeQuery"], r);
    const lookbackMs = readLookback(rq.start, rq.end, scoped(r, ["rangeQuery"]));
    const stepMs = rq.step === undefined ? 60_000 : readDuration(rq.step, ["rangeQuery", "step"], r);
    if (lookbackMs !== undefined && stepMs !== undefined)
      provider.range = { lookbackMs, stepS: stepMs / 1000 };
  }
  return address === undefined || query === undefined ? undefined : provider;
}

/**
 * `provider.pact`: the version (the canary by default) verified against its consumers' pacts. Pact
 * files and directories are relative to the template's file.
 */
function readPact(raw: unknown, r: Reporter, file: string): PactGate | undefined {
  const p = check(pactGateSchema, raw, [], r);
  if (!p) return undefined;
  const dir = dirname(resolve(file));
  return {
    type: "pact",
    pacts: p.pacts.map((x) => (/^https?:\/\//i.test(x) || isAbsolute(x) ? x : resolve(dir, x))),
    version: p.version ?? "canary",
    ...(p.stateChangeUrl !== undefined ? { stateChangeUrl: p.stateChangeUrl } : {}),
    stateChangeTeardown: p.stateChangeTeardown ?? false,
    ...(p.consumer !== undefined ? { consumer: p.consumer } : {}),
    headers: Object.fromEntries((p.headers ?? []).map((h) => [h.key, h.value])),
    timeoutMs: (p.timeout ?? 30) * 1000,
  };
}

/** withstand's own provider: `{anomaly: {prometheus, query, ...}}`, the anomaly detector's verdict (1 or 0). */
function readAnomaly(raw: unknown, r: Reporter): QueryProvider | undefined {
  const v = check(ANOMALY_CHECK, raw, [], r);
  if (!v) return undefined;
  const { prometheus, query, ...anomaly } = anomalyCheckOf(v);
  return { type: "anomaly", address: prometheus, query, headers: {}, timeoutMs: 30_000, anomaly };
}

/** One Argo metric, its args already substituted, as a judge-less analysis of its own. */
function readArgoMetric(
  raw: Record<string, unknown>,
  r: Reporter,
  loc: string,
  file: string,
): AnalysisSpec | undefined {
  checkKeys(raw, ARGO_METRIC_KEYS, [], r);
  const name = readString(raw.name, ["name"], r, "the metric's name");
  const providers = isRecord(raw.provider) ? Object.keys(raw.provider) : [];
  if (!isRecord(raw.provider) || providers.length !== 1) {
    r.error(
      ["provider"],
      "is required (expected exactly one provider, e.g. {prometheus: {address, query}} or {anomaly: {prometheus, query}})",
    );
    return undefined;
  }
  const kind = providers[0] as string;
  if (kind !== "prometheus" && kind !== "pact" && kind !== "anomaly") {
    const known = ARGO_PROVIDERS.includes(kind);
    const hint = suggest(kind, [...ARGO_PROVIDERS, "pact", "anomaly"]);
    r.error(
      ["provider", kind],
      known
        ? `Argo's ${kind} provider is not supported by withstand (expected prometheus, pact or anomaly)`
        : `unknown provider${hint ? ` (did you mean ${hint}?)` : ""} (expected prometheus, pact or anomaly)`,
      true,
    );
    return undefined;
  }
  const provider =
    kind === "pact"
      ? readPact(raw.provider.pact, scoped(r, ["provider", "pact"]), file)
      : kind === "anomaly"
        ? readAnomaly(raw.provider.anomaly, scoped(r, ["provider", "anomaly"]))
        : readPrometheus(raw.provider.prometheus, scoped(r, ["provider", "prometheus"]), 10_000);
  const a: AnalysisSpec = {
    loc,
    ...(name !== undefined ? { name } : {}),
    initialDelayMs:
      raw.initialDelay === undefined ? 0 : (readDuration(raw.initialDelay, ["initialDelay"], r) ?? 0),
    metrics: [],
    confidence: 0.98,
    thresholds: { pass: 95, marginal: 75 },
    weights: {},
    failureLimit: readCount(raw.failureLimit, ["failureLimit"], r, 0, -1),
    inconclusiveLimit: readCount(raw.inconclusiveLimit, ["inconclusiveLimit"], r, 0),
    consecutiveErrorLimit: readCount(raw.consecutiveErrorLimit, ["consecutiveErrorLimit"], r, 4),
  };
  const csl = readCount(raw.consecutiveSuccessLimit, ["consecutiveSuccessLimit"], r, 0);
  if (csl > 0) a.consecutiveSuccessLimit = csl;
  if (raw.interval !== undefined) {
    const ms = readDuration(raw.interval, ["interval"], r);
    if (ms !== undefined) a.intervalMs = Math.max(100, ms);
  }
  if (raw.count !== undefined) a.count = readCount(raw.count, ["count"], r, 1, 0);
  // What Argo's ValidateMetric refuses: the AnalysisRun would never start.
  for (const p of metricLimitProblems({
    count: a.count,
    intervalGiven: raw.interval !== undefined && raw.interval !== "",
    failureLimit: a.failureLimit,
    inconclusiveLimit: a.inconclusiveLimit,
    consecutiveSuccessLimit: csl,
  }))
    r.error([p.field], p.message);
  for (const k of ["successCondition", "failureCondition"] as const) {
    if (raw[k] === undefined) continue;
    const text = readString(raw[k], [k], r, "a condition such as result[0] >= 0.95");
    if (text === undefined) continue;
    const parsed = parseCondition(text);
    if (!parsed.ok) r.error([k], `${parsed.error} (expected a condition such as "result[0] >= 0.95")`);
    else a[k] = text;
  }
  if (!provider || name === undefined) return undefined;
  a.provider = provider;
  // A pact metric without a condition fails when any interaction broke the contract.
  if (provider.type === "pact" && a.successCondition === undefined && a.failureCondition === undefined)
    a.successCondition = PACT_DEFAULT_CONDITION;
  return a;
}

/**
 * A template and the templates it composes (`spec.templates`, as Argo merges them), each once, in
 * order; a name that is missing or a cycle is reported in the template that names it.
 */
function expand(
  t: AnalysisTemplateDoc,
  templates: ReadonlyMap<string, AnalysisTemplateDoc>,
  sink: Diagnostic[],
  seen: Set<string>,
): AnalysisTemplateDoc[] {
  if (seen.has(t.name)) return [];
  seen.add(t.name);
  const out = [t];
  const refs = Array.isArray(t.spec.templates) ? t.spec.templates : [];
  const tr = reporterFor(t.doc, [...t.base, "spec"], sink);
  refs.forEach((ref, i) => {
    const at: Path = ["templates", i];
    if (!isRecord(ref)) {
      tr.error(at, "expected {templateName}");
      return;
    }
    checkKeys(ref, ["templateName", "clusterScope"], at, tr);
    const name = readString(ref.templateName, [...at, "templateName"], tr, "an AnalysisTemplate's name");
    if (name === undefined) return;
    const child = templates.get(name);
    if (!child) {
      tr.error(
        [...at, "templateName"],
        `no AnalysisTemplate named ${name} among the files given (template ${t.name} composes it: give its file too, with --template)`,
      );
      return;
    }
    if (seen.has(name) && name === t.name)
      tr.error([...at, "templateName"], `template ${t.name} composes itself`);
    out.push(...expand(child, templates, sink, seen));
  });
  return out;
}

/**
 * Resolves `analysis: {templates: [{templateName}], args: [{name, value}]}` (a step's or the
 * background's) into one analysis per metric of every template, each on its own schedule.
 */
export function resolveTemplates(
  step: Record<string, unknown>,
  r: Reporter,
  templates: ReadonlyMap<string, AnalysisTemplateDoc>,
  sink: Diagnostic[],
): AnalysisSpec[] {
  const refs = step.templates;
  if (!Array.isArray(refs) || refs.length === 0) {
    r.error(["templates"], "expected a non-empty list of {templateName}");
    return [];
  }
  const given = readArgs(step.args, r, ["args"], true);
  const out: AnalysisSpec[] = [];
  const names = new Set<string>();
  const declared = new Set<string>();
  const seen = new Set<string>();
  refs.forEach((ref, i) => {
    if (!isRecord(ref)) {
      r.error(["templates", i], "expected {templateName}");
      return;
    }
    checkKeys(ref, ["templateName", "clusterScope"], ["templates", i], r);
    const name = readString(
      ref.templateName,
      ["templates", i, "templateName"],
      r,
      "an AnalysisTemplate's name",
    );
    if (name === undefined) return;
    const top = templates.get(name);
    if (!top) {
      const known = [...templates.keys()];
      const hint = suggest(name, known);
      r.error(
        ["templates", i, "templateName"],
        `no AnalysisTemplate named ${name} in this file or the other files given (expected a file with it, given to validate or with --template)${hint ? ` (did you mean ${hint}?)` : known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`,
      );
      return;
    }
    for (const t of expand(top, templates, sink, seen)) {
      const tr = reporterFor(t.doc, [...t.base, "spec"], sink);
      const defaults = readArgs(t.spec.args, tr, ["args"], false);
      const args = new Map<string, string>();
      for (const [k, v] of defaults.values) {
        const value = given.values.get(k) ?? v;
        if (value === undefined) {
          // An argument whose valueFrom was refused has had its one error already.
          if (!given.refused.has(k))
            r.error(
              ["args"],
              `argument ${k} of template ${t.name} has no value (expected {name: ${k}, value: ...} here)`,
            );
        } else args.set(k, value);
      }
      for (const k of given.values.keys())
        if (defaults.refused.has(k)) args.set(k, given.values.get(k) ?? "");
      for (const k of [...defaults.values.keys(), ...defaults.refused]) declared.add(k);
      const metrics = Array.isArray(t.spec.metrics) ? t.spec.metrics : [];
      metrics.forEach((m, j) => {
        const mr = scoped(tr, ["metrics", j]);
        if (!isRecord(m)) {
          mr.error([], "expected a metric {name, provider, successCondition, ...}");
          return;
        }
        const missing = new Set<string>();
        const filled = substitute(m, args, missing) as Record<string, unknown>;
        for (const k of missing)
          if (!defaults.values.has(k) && !defaults.refused.has(k) && !given.refused.has(k))
            mr.error([], `uses {{args.${k}}}, which template ${t.name} does not declare in spec.args`);
        const p = positionOf(t.doc, [...t.base, "spec", "metrics", j]);
        const a = readArgoMetric(filled, mr, `${t.doc.file}:${p.line}:${p.col}`, t.doc.file);
        if (!a?.name) return;
        if (names.has(a.name)) mr.error(["name"], `duplicate metric name ${a.name} in this analysis`);
        names.add(a.name);
        out.push(a);
      });
    }
  });
  for (const k of given.values.keys())
    if (!declared.has(k))
      r.warn(["args"], `argument ${k} is declared by none of the templates (it is not used)`);
  return out;
}

/** Checks a file of templates alone: every metric is read with the template's defaults filled in. */
export function checkTemplates(
  docs: readonly SourceDoc[],
  others: readonly SourceDoc[] = [],
): { diagnostics: Diagnostic[]; names: string[] } {
  const diagnostics: Diagnostic[] = [];
  const templates = collectTemplates(docs, diagnostics, others);
  const own = new Set(docs);
  for (const t of templates.values()) {
    if (!own.has(t.doc)) continue;
    // Arguments without a default get a placeholder: the step that uses the template gives them.
    const args = expand(t, templates, [], new Set()).flatMap((x) =>
      Array.isArray(x.spec.args)
        ? x.spec.args.flatMap((a) =>
            isRecord(a) && typeof a.name === "string" && a.value === undefined && a.valueFrom === undefined
              ? [{ name: a.name, value: "0" }]
              : [],
          )
        : [],
    );
    const quiet: Reporter = { deferVars: false, strict: true, error: () => {}, warn: () => {} };
    // Problems inside another file's template are reported when that file is checked.
    const sink: Diagnostic[] = [];
    resolveTemplates({ templates: [{ templateName: t.name }], args }, quiet, templates, sink);
    diagnostics.push(...sink.filter((d) => docs.some((doc) => doc.file === d.file)));
  }
  return {
    diagnostics: dedupe(diagnostics),
    names: [...templates.values()].filter((t) => own.has(t.doc)).map((t) => t.name),
  };
}

/** The same problem reached twice (a template composed by two others) is reported once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
