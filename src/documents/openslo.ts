import type { AlertConditionDef, Indicator, MetricSource, Objective, Slo } from "../core/slo-model.js";
import { type Diagnostic, fileDiagnostic, hasErrors } from "./diagnostic.js";
import { checkKeys, isRecord, type Reporter } from "./reporter.js";
import {
  diagnosticAt,
  type Path,
  parseSource,
  positionOf,
  readSource,
  type SourceDoc,
  unreadable,
} from "./source.js";

export const OPENSLO_KINDS = [
  "SLO",
  "SLI",
  "DataSource",
  "AlertPolicy",
  "AlertCondition",
  "AlertNotificationTarget",
  "Service",
] as const;
const KINDS: readonly string[] = OPENSLO_KINDS;
const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 30 * 86_400_000,
  Q: 90 * 86_400_000,
  Y: 365 * 86_400_000,
};

interface Doc {
  src: SourceDoc;
  kind: string;
  name: string;
  spec: Record<string, unknown>;
  metadata: Record<string, unknown>;
  r: Reporter;
}

/** OpenSLO duration-shorthand: an integer and one of m h d w M Q Y (m is minutes; M is a month). */
export function parseShorthand(text: unknown): number | undefined {
  if (typeof text === "number") return text * 60_000;
  if (typeof text !== "string") return undefined;
  const m = /^(\d+)([mhdwMQY])$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] ?? "m"] ?? 60_000);
}

function reporter(src: SourceDoc, diagnostics: Diagnostic[], prefix: Path = []): Reporter {
  return {
    deferVars: false,
    error: (path, message, onKey) =>
      diagnostics.push(diagnosticAt(src, [...prefix, ...path], message, "error", onKey)),
    warn: (path, message, onKey) =>
      diagnostics.push(diagnosticAt(src, [...prefix, ...path], message, "warning", onKey)),
  };
}

/** Each OpenSLO document of a file: one per YAML document, or each item of a top-level list (OpenSLO's own examples). */
function entries(sources: SourceDoc[]): { src: SourceDoc; value: unknown; prefix: Path }[] {
  return sources.flatMap((src) =>
    Array.isArray(src.value)
      ? src.value.map((value, i) => ({ src, value, prefix: [i] as Path }))
      : [{ src, value: src.value, prefix: [] as Path }],
  );
}

/** Reads every OpenSLO v1 document in the files and resolves each SLO with its SLI, data sources and alert conditions. */
export function readOpenSlo(sources: SourceDoc[]): {
  slos: Slo[];
  diagnostics: Diagnostic[];
  /** How many documents of each kind were read (a file of Services alone is valid). */
  kinds: Record<string, number>;
} {
  const diagnostics: Diagnostic[] = [];
  const docs: Doc[] = [];
  for (const { src, value: v, prefix } of entries(sources)) {
    const r = reporter(src, diagnostics, prefix);
    if (!isRecord(v)) {
      r.error([], "expected an OpenSLO document (apiVersion: openslo/v1, kind, metadata, spec)");
      continue;
    }
    if (v.apiVersion !== "openslo/v1") {
      r.error(
        ["apiVersion"],
        `got ${JSON.stringify(v.apiVersion)} (expected openslo/v1${v.apiVersion === "openslo/v1alpha" ? "; withstand reads v1, which Sloth does not" : ""})`,
      );
      continue;
    }
    checkKeys(v, ["apiVersion", "kind", "metadata", "spec"], [], r);
    if (typeof v.kind !== "string" || !KINDS.includes(v.kind)) {
      r.error(["kind"], `got ${JSON.stringify(v.kind)} (expected one of ${KINDS.join(", ")})`);
      continue;
    }
    const metadata = isRecord(v.metadata) ? v.metadata : {};
    const name = typeof metadata.name === "string" ? metadata.name : "";
    if (name === "") r.error(["metadata", "name"], "is required (expected a name)");
    // OpenSLO asks for RFC 1123 names, but its own examples use others (OnCallDevopsMailNotification).
    else if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
      r.warn(
        ["metadata", "name"],
        `${JSON.stringify(name)} is not an RFC 1123 name (lower-case letters, digits and -, at most 63) as OpenSLO asks; accepted`,
      );
    if (!isRecord(v.spec)) {
      r.error(["spec"], "is required (expected a mapping)");
      continue;
    }
    docs.push({ src, kind: v.kind, name, spec: v.spec, metadata, r });
  }
  const byKind = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.name === name);
  const slos: Slo[] = [];
  for (const d of docs.filter((x) => x.kind === "SLO")) {
    const slo = readSlo(d, byKind);
    if (slo) slos.push(slo);
  }
  const kinds: Record<string, number> = {};
  for (const d of docs) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
  return hasErrors(diagnostics) ? { slos: [], diagnostics, kinds } : { slos, diagnostics, kinds };
}

type Lookup = (kind: string, name: string) => Doc | undefined;

function inlineOrRef(
  d: Doc,
  path: Path,
  inline: unknown,
  ref: unknown,
  kind: string,
  lookup: Lookup,
): { spec: Record<string, unknown>; name: string; doc: Doc } | undefined {
  if (inline !== undefined) {
    if (!isRecord(inline)) {
      d.r.error(path, `expected an inline ${kind} {metadata, spec}`);
      return undefined;
    }
    const meta = isRecord(inline.metadata) ? inline.metadata : {};
    return {
      spec: isRecord(inline.spec) ? inline.spec : inline,
      name: typeof meta.name === "string" ? meta.name : `${d.name}-${kind.toLowerCase()}`,
      doc: d,
    };
  }
  if (typeof ref === "string") {
    const target = lookup(kind, ref);
    if (!target) {
      d.r.error(
        [...path.slice(0, -1), `${path.at(-1)}Ref`],
        `no ${kind} named ${JSON.stringify(ref)} in these files (expected the metadata.name of a kind: ${kind} document)`,
      );
      return undefined;
    }
    return { spec: target.spec, name: target.name, doc: target };
  }
  return undefined;
}

function readMetricSource(d: Doc, path: Path, raw: unknown, lookup: Lookup): MetricSource | undefined {
  if (!isRecord(raw)) {
    d.r.error(path, "expected {metricSource: {metricSourceRef | type, spec: {query}}}");
    return undefined;
  }
  const ms = isRecord(raw.metricSource) ? raw.metricSource : raw;
  const spec = isRecord(ms.spec) ? ms.spec : {};
  let type = typeof ms.type === "string" ? ms.type : undefined;
  let url: string | undefined;
  if (typeof ms.metricSourceRef === "string") {
    const ds = lookup("DataSource", ms.metricSourceRef);
    if (!ds) {
      d.r.error(
        [...path, "metricSource", "metricSourceRef"],
        `no DataSource named ${JSON.stringify(ms.metricSourceRef)} (expected the name of a kind: DataSource document)`,
      );
      return undefined;
    }
    type = typeof ds.spec.type === "string" ? ds.spec.type : type;
    url = connectionUrl(ds.spec.connectionDetails);
  }
  url ??= connectionUrl(ms.connectionDetails);
  const query =
    typeof spec.query === "string"
      ? spec.query
      : typeof spec.promql === "string"
        ? spec.promql
        : typeof spec.series === "string"
          ? spec.series
          : undefined;
  if (!type)
    d.r.error(
      [...path, "metricSource", "type"],
      "is required (expected prometheus or withstand, or a metricSourceRef)",
    );
  // Valid OpenSLO names any source (CloudWatch, Datadog, ...) with its own spec; only the sources
  // withstand queries itself need a query here. `slo rules`/`slo status` say when a source is not theirs.
  const needsQuery = type !== undefined && ["prometheus", "withstand"].includes(type.toLowerCase());
  if (!query && needsQuery)
    d.r.error(
      [...path, "metricSource", "spec", "query"],
      "is required (expected a PromQL query, or a withstand series name)",
    );
  if (!type || (needsQuery && !query)) return undefined;
  return { type: type.toLowerCase(), query: query ?? "", url };
}

/** A data source's URL from connectionDetails as a map ({url}) or a list ([{url}] or [{name: url, value}]). */
function connectionUrl(details: unknown): string | undefined {
  const pairs: Record<string, unknown> = {};
  if (isRecord(details)) Object.assign(pairs, details);
  else if (Array.isArray(details))
    for (const item of details) {
      if (!isRecord(item)) continue;
      if (typeof item.name === "string" && "value" in item) pairs[item.name] = item.value;
      else Object.assign(pairs, item);
    }
  const url = pairs.url ?? pairs.address ?? pairs.endpoint;
  return typeof url === "string" ? url : undefined;
}

function readIndicator(
  d: Doc,
  sli: { spec: Record<string, unknown>; name: string; doc: Doc },
  lookup: Lookup,
  path: Path,
): Indicator | undefined {
  const owner = sli.doc;
  const base: Path = owner === d ? path : ["spec"];
  const spec = sli.spec;
  if (isRecord(spec.ratioMetric)) {
    const rm = spec.ratioMetric;
    if (rm.good !== undefined && rm.bad !== undefined)
      owner.r.error(
        [...base, "ratioMetric", "bad"],
        "good and bad are mutually exclusive (expected one of them)",
      );
    if (rm.total === undefined)
      owner.r.error([...base, "ratioMetric", "total"], "is required (expected a metric source)");
    const good =
      rm.good !== undefined
        ? readMetricSource(owner, [...base, "ratioMetric", "good"], rm.good, lookup)
        : undefined;
    const bad =
      rm.bad !== undefined
        ? readMetricSource(owner, [...base, "ratioMetric", "bad"], rm.bad, lookup)
        : undefined;
    const total =
      rm.total !== undefined
        ? readMetricSource(owner, [...base, "ratioMetric", "total"], rm.total, lookup)
        : undefined;
    if (!total || (!good && !bad)) return undefined;
    return { name: sli.name, ratio: { counter: rm.counter === true, good, bad, total } };
  }
  if (spec.thresholdMetric !== undefined) {
    const threshold = readMetricSource(owner, [...base, "thresholdMetric"], spec.thresholdMetric, lookup);
    return threshold ? { name: sli.name, threshold } : undefined;
  }
  owner.r.error(base, "expected ratioMetric or thresholdMetric");
  return undefined;
}

function readSlo(d: Doc, lookup: Lookup): Slo | undefined {
  const s = d.spec;
  const r = d.r;
  checkKeys(
    s,
    [
      "description",
      "service",
      "indicator",
      "indicatorRef",
      "timeWindow",
      "budgetingMethod",
      "objectives",
      "alertPolicies",
    ],
    ["spec"],
    r,
  );
  if ((s.indicator === undefined) === (s.indicatorRef === undefined))
    r.error(["spec", "indicator"], "expected exactly one of indicator and indicatorRef");
  const sli = inlineOrRef(d, ["spec", "indicator"], s.indicator, s.indicatorRef, "SLI", lookup);
  const indicator = sli ? readIndicator(d, sli, lookup, ["spec", "indicator", "spec"]) : undefined;
  // timeWindow is optional in OpenSLO v1: without one, status and rules use a rolling 28 days (said so).
  const windows = Array.isArray(s.timeWindow)
    ? s.timeWindow
    : s.timeWindow === undefined
      ? [{ duration: "28d", isRolling: true }]
      : [];
  if (s.timeWindow === undefined)
    r.warn(
      ["spec"],
      "no timeWindow: withstand judges this SLO over a rolling 28d window (set spec.timeWindow to choose)",
    );
  else if (windows.length !== 1)
    r.error(["spec", "timeWindow"], "expected exactly one time window [{duration, isRolling}]");
  const tw = isRecord(windows[0]) ? windows[0] : {};
  const periodMs = parseShorthand(tw.duration);
  if (periodMs === undefined)
    r.error(
      ["spec", "timeWindow", 0, "duration"],
      `got ${JSON.stringify(tw.duration)} (expected a duration shorthand such as 28d, 4w, 1M)`,
    );
  else if (
    tw.duration === "1m" ||
    (typeof tw.duration === "string" && /^\d+m$/.test(tw.duration) && periodMs < 3_600_000)
  ) {
    r.warn(
      ["spec", "timeWindow", 0, "duration"],
      `${tw.duration} is ${tw.duration === "1m" ? "one minute" : "minutes"} in OpenSLO (did you mean ${String(tw.duration).replace("m", "M")}, a month?)`,
    );
  }
  const method = s.budgetingMethod;
  if (method !== "Occurrences" && method !== "Timeslices" && method !== "RatioTimeslices")
    r.error(
      ["spec", "budgetingMethod"],
      `got ${JSON.stringify(method)} (expected Occurrences, Timeslices or RatioTimeslices)`,
    );
  const objectives: Objective[] = [];
  if (!Array.isArray(s.objectives) || s.objectives.length === 0)
    r.error(["spec", "objectives"], "expected at least one objective {target or targetPercent}");
  else
    s.objectives.forEach((o, i) => {
      if (!isRecord(o)) return;
      const path: Path = ["spec", "objectives", i];
      checkKeys(
        o,
        [
          "displayName",
          "op",
          "value",
          "target",
          "targetPercent",
          "timeSliceTarget",
          "timeSliceWindow",
          "indicator",
          "indicatorRef",
          "compositeWeight",
        ],
        path,
        r,
      );
      if (o.indicator !== undefined || o.indicatorRef !== undefined || o.compositeWeight !== undefined)
        r.error(
          [
            ...path,
            o.indicatorRef !== undefined
              ? "indicatorRef"
              : o.indicator !== undefined
                ? "indicator"
                : "compositeWeight",
          ],
          "a composite SLO (an objective with its own indicator or a compositeWeight) is not supported by withstand (expected one indicator for the whole SLO in spec.indicator or spec.indicatorRef)",
        );
      let target: number | undefined;
      if (typeof o.target === "number") target = o.target;
      else if (typeof o.targetPercent === "number") target = o.targetPercent / 100;
      if (target === undefined || target < 0 || target >= 1) {
        r.error(
          [...path, o.target !== undefined ? "target" : "targetPercent"],
          `got ${JSON.stringify(o.target ?? o.targetPercent)} (expected target in [0, 1) or targetPercent in [0, 100))`,
        );
        return;
      }
      if (o.target !== undefined && o.targetPercent !== undefined)
        r.error([...path, "targetPercent"], "target and targetPercent are mutually exclusive");
      const op = typeof o.op === "string" ? (o.op as Objective["op"]) : undefined;
      if (indicator?.threshold && (op === undefined || typeof o.value !== "number"))
        r.error(path, "a thresholdMetric objective needs op (lt, lte, gt, gte) and value");
      const sliceMs = o.timeSliceWindow === undefined ? undefined : parseShorthand(o.timeSliceWindow);
      if ((method === "Timeslices" || method === "RatioTimeslices") && sliceMs === undefined)
        r.error([...path, "timeSliceWindow"], `is required for ${String(method)} (expected e.g. 1m)`);
      objectives.push({
        displayName: typeof o.displayName === "string" ? o.displayName : undefined,
        target,
        op,
        value: typeof o.value === "number" ? o.value : undefined,
        timeSliceTarget: typeof o.timeSliceTarget === "number" ? o.timeSliceTarget : undefined,
        timeSliceWindowMs: sliceMs,
      });
    });
  const conditions: AlertConditionDef[] = [];
  if (Array.isArray(s.alertPolicies)) {
    s.alertPolicies.forEach((ap, i) => {
      if (!isRecord(ap)) return;
      const policy = inlineOrRef(
        d,
        ["spec", "alertPolicies", i, "alertPolicy"],
        ap.kind === "AlertPolicy" ? ap : undefined,
        ap.alertPolicyRef,
        "AlertPolicy",
        lookup,
      );
      if (!policy) return;
      const conds = Array.isArray(policy.spec.conditions) ? policy.spec.conditions : [];
      for (const c of conds) {
        if (!isRecord(c)) continue;
        const cond = inlineOrRef(
          policy.doc,
          ["spec", "conditions", 0, "condition"],
          c.kind === "AlertCondition" ? c : undefined,
          c.conditionRef,
          "AlertCondition",
          lookup,
        );
        if (!cond) continue;
        const cc = isRecord(cond.spec.condition) ? cond.spec.condition : {};
        const lookbackMs = parseShorthand(cc.lookbackWindow);
        if (cc.kind !== "burnrate" || typeof cc.threshold !== "number" || lookbackMs === undefined) {
          cond.doc.r.error(
            ["spec", "condition"],
            "expected {kind: burnrate, op, threshold, lookbackWindow, alertAfter}",
          );
          continue;
        }
        conditions.push({
          name: cond.name,
          severity: typeof cond.spec.severity === "string" ? cond.spec.severity : "page",
          op: (cc.op as AlertConditionDef["op"]) ?? "gte",
          threshold: cc.threshold,
          lookbackMs,
          alertAfterMs: parseShorthand(cc.alertAfter ?? "0m") ?? 0,
        });
      }
    });
  }
  if (
    !indicator ||
    periodMs === undefined ||
    objectives.length === 0 ||
    (method !== "Occurrences" && method !== "Timeslices" && method !== "RatioTimeslices")
  )
    return undefined;
  const { line, col } = positionOf(d.src, []);
  const labels: Record<string, string> = {};
  if (isRecord(d.metadata.labels))
    for (const [k, v] of Object.entries(d.metadata.labels))
      labels[k] = Array.isArray(v) ? v.join(",") : String(v);
  return {
    name: d.name,
    service: typeof s.service === "string" ? s.service : "default",
    description: typeof s.description === "string" ? s.description : undefined,
    indicator,
    periodMs,
    rolling: tw.isRolling !== false,
    budgetingMethod: method,
    objectives,
    conditions,
    labels,
    loc: `${d.src.file}:${line}:${col}`,
  };
}

/**
 * Reads OpenSLO files together: an SLO may refer to an SLI, a DataSource or an AlertPolicy defined in
 * another of the files given to the same command.
 */
export async function loadOpenSloFiles(
  files: readonly string[],
): Promise<{ slos: Slo[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const docs: SourceDoc[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readSource(file);
    } catch (err) {
      diagnostics.push(unreadable(file, err, "OpenSLO v1 YAML"));
      continue;
    }
    const parsed = parseSource(file, text);
    diagnostics.push(...parsed.diagnostics);
    docs.push(...parsed.docs);
  }
  if (hasErrors(diagnostics)) return { slos: [], diagnostics };
  const result = readOpenSlo(docs);
  if (result.slos.length === 0 && !hasErrors(result.diagnostics)) {
    result.diagnostics.push(
      fileDiagnostic(files[0] ?? "", "no kind: SLO document found (expected at least one)"),
    );
  }
  return { slos: result.slos, diagnostics: [...diagnostics, ...result.diagnostics] };
}

export function loadOpenSloFile(file: string): Promise<{ slos: Slo[]; diagnostics: Diagnostic[] }> {
  return loadOpenSloFiles([file]);
}
