import type { AlertConditionDef, Indicator, MetricSource, Objective, Slo } from "../core/slo-model.js";
import { type Diagnostic, fileDiagnostic, hasErrors } from "./diagnostic.js";
import {
  type AlertConditionSpec,
  type AlertPolicySpec,
  OPENSLO_KINDS,
  type OpenSloKind,
  openSloDocument,
  type SliSpec,
  type SloSpec,
} from "./openslo-schema.js";
import { check, isRecord, type Reporter } from "./reporter.js";
import {
  diagnosticAt,
  type Path,
  parseSource,
  positionOf,
  readSource,
  type SourceDoc,
  unreadable,
} from "./source.js";

export { OPENSLO_KINDS };

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

/** One OpenSLO document that fits its kind's schema (`spec` is typed by the kind). */
interface Doc {
  src: SourceDoc;
  kind: OpenSloKind;
  name: string;
  spec: Record<string, unknown>;
  metadata: Record<string, unknown>;
  r: Reporter;
  /** False when the document broke its schema: it is still found by name, but not read further. */
  valid: boolean;
  /** One of the files being read (not a document of another file, read only for refs). */
  own: boolean;
}

/** How a `metricSourceRef` to a DataSource not among the files is reported. */
export interface ReadOptions {
  /**
   * `warning` in `validate` (OpenSLO lets a DataSource live elsewhere, and its SDK's own fixtures do
   * this); `error` (the default) where the DataSource is needed to compute (status, rules, judging).
   */
  missingDataSource?: "warning" | "error";
  /** Documents of other files, read only to resolve refs: their own problems are not reported here. */
  context?: readonly SourceDoc[];
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
    strict: true,
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

/** Checks one document against its kind's schema; every problem is reported where it is. */
function readDoc(v: unknown, r: Reporter): { kind: OpenSloKind; valid: boolean } | undefined {
  if (!isRecord(v)) {
    r.error([], "expected an OpenSLO document (apiVersion: openslo/v1, kind, metadata, spec)");
    return undefined;
  }
  if (v.apiVersion !== "openslo/v1") {
    r.error(
      ["apiVersion"],
      `got ${JSON.stringify(v.apiVersion)} (expected openslo/v1${v.apiVersion === "openslo/v1alpha" ? "; withstand reads v1, which Sloth does not" : ""})`,
    );
    return undefined;
  }
  if (typeof v.kind !== "string" || !KINDS.includes(v.kind)) {
    r.error(["kind"], `got ${JSON.stringify(v.kind)} (expected one of ${KINDS.join(", ")})`);
    return undefined;
  }
  const kind = v.kind as OpenSloKind;
  return { kind, valid: check(openSloDocument(kind), v, [], r) !== undefined };
}

/** Reads every OpenSLO v1 document in the files and resolves each SLO with its SLI, data sources and alert conditions. */
export function readOpenSlo(
  sources: SourceDoc[],
  opts: ReadOptions = {},
): {
  slos: Slo[];
  diagnostics: Diagnostic[];
  /** How many documents of each kind were read (a file of Services alone is valid). */
  kinds: Record<string, number>;
} {
  const diagnostics: Diagnostic[] = [];
  const docs: Doc[] = [];
  const own = entries(sources);
  const silent: Diagnostic[] = [];
  for (const [i, { src, value: v, prefix }] of [...own, ...entries([...(opts.context ?? [])])].entries()) {
    const r = reporter(src, i < own.length ? diagnostics : silent, prefix);
    const read = readDoc(v, r);
    if (!read || !isRecord(v)) continue;
    const metadata = isRecord(v.metadata) ? v.metadata : {};
    const name = typeof metadata.name === "string" ? metadata.name : "";
    const spec = isRecord(v.spec) ? v.spec : {};
    docs.push({ src, kind: read.kind, name, spec, metadata, r, valid: read.valid, own: i < own.length });
  }
  const byKind = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.name === name);
  const ctx: Ctx = { lookup: byKind, missingDataSource: opts.missingDataSource ?? "error" };
  const slos: Slo[] = [];
  for (const d of docs.filter((x) => x.kind === "SLO" && x.valid && x.own)) {
    const slo = readSlo(d, ctx);
    if (slo) slos.push(slo);
  }
  const kinds: Record<string, number> = {};
  for (const d of docs) if (d.own) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
  return hasErrors(diagnostics) ? { slos: [], diagnostics, kinds } : { slos, diagnostics, kinds };
}

interface Ctx {
  lookup: (kind: string, name: string) => Doc | undefined;
  missingDataSource: "warning" | "error";
}

/** The document a spec came from (inline: the SLO itself), with the path of that spec in it. */
interface Found<T> {
  spec: T;
  name: string;
  doc: Doc;
  base: Path;
}

/** An inline object or a ref to a document of `kind` in these files; undefined when neither resolves. */
function inlineOrRef<T>(
  d: Doc,
  path: Path,
  inline: { metadata?: { name: string } | undefined; spec?: unknown } | undefined,
  ref: string | undefined,
  refPath: Path,
  kind: string,
  ctx: Ctx,
): Found<T> | undefined {
  if (inline?.spec !== undefined)
    return {
      spec: inline.spec as T,
      name: inline.metadata?.name ?? `${d.name}-${kind.toLowerCase()}`,
      doc: d,
      base: [...path, "spec"],
    };
  if (ref === undefined) return undefined;
  const target = ctx.lookup(kind, ref);
  if (!target) {
    d.r.error(
      refPath,
      `no ${kind} named ${JSON.stringify(ref)} in these files (expected the metadata.name of a kind: ${kind} document)`,
    );
    return undefined;
  }
  // A referenced document that broke its own schema was reported there.
  if (!target.valid) return undefined;
  return { spec: target.spec as T, name: target.name, doc: target, base: ["spec"] };
}

type MetricSpec = {
  metricSource: {
    metricSourceRef?: string | undefined;
    type?: string | undefined;
    spec: Record<string, unknown>;
  };
};

function readMetricSource(owner: Doc, path: Path, m: MetricSpec, ctx: Ctx): MetricSource | undefined {
  const ms = m.metricSource;
  const at: Path = [...path, "metricSource"];
  let type = ms.type;
  let url: string | undefined;
  if (ms.metricSourceRef !== undefined) {
    const ds = ctx.lookup("DataSource", ms.metricSourceRef);
    if (!ds) {
      const name = JSON.stringify(ms.metricSourceRef);
      if (ctx.missingDataSource === "error") {
        owner.r.error(
          [...at, "metricSourceRef"],
          `no DataSource named ${name} among the files given (expected the metadata.name of a kind: DataSource document: give its file too, it is needed to query)`,
        );
        return undefined;
      }
      owner.r.warn(
        [...at, "metricSourceRef"],
        `no DataSource named ${name} among the files given: valid OpenSLO, but slo status, slo rules and runs need it (give its file too)`,
      );
      return { type: (type ?? "unresolved").toLowerCase(), query: String(ms.spec.query ?? "") };
    }
    if (ds.valid) {
      type = typeof ds.spec.type === "string" ? ds.spec.type : type;
      url = connectionUrl(ds.spec.connectionDetails);
    }
  }
  const spec = ms.spec;
  const query =
    typeof spec.query === "string"
      ? spec.query
      : typeof spec.promql === "string"
        ? spec.promql
        : typeof spec.series === "string"
          ? spec.series
          : undefined;
  if (!type) {
    owner.r.error([...at, "type"], "is required (expected prometheus or withstand, or a metricSourceRef)");
    return undefined;
  }
  // Valid OpenSLO names any source (CloudWatch, Datadog, ...) with its own spec; only the sources
  // withstand queries itself need a query here. `slo rules`/`slo status` say when a source is not theirs.
  const needsQuery = ["prometheus", "withstand"].includes(type.toLowerCase());
  if (!query && needsQuery) {
    owner.r.error(
      [...at, "spec", "query"],
      "is required (expected a PromQL query, or a withstand series name)",
    );
    return undefined;
  }
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

function readIndicator(sli: Found<SliSpec>, ctx: Ctx): Indicator | undefined {
  const { doc: owner, base, spec } = sli;
  const r = owner.r;
  if (spec.ratioMetric !== undefined && spec.thresholdMetric !== undefined) {
    r.error([...base, "thresholdMetric"], "ratioMetric and thresholdMetric are mutually exclusive");
    return undefined;
  }
  if (spec.ratioMetric) {
    const rm = spec.ratioMetric;
    const at: Path = [...base, "ratioMetric"];
    if (rm.raw !== undefined || rm.rawType !== undefined) {
      r.error(
        [...at, rm.raw !== undefined ? "raw" : "rawType"],
        "a raw ratio (rawType, raw) is not supported by withstand (expected good or bad, and total)",
      );
      return undefined;
    }
    if (rm.good !== undefined && rm.bad !== undefined)
      r.error([...at, "bad"], "good and bad are mutually exclusive (expected one of them)");
    else if (rm.good === undefined && rm.bad === undefined)
      r.error(at, "expected good or bad (a metric source), and total");
    if (rm.total === undefined) r.error([...at, "total"], "is required (expected a metric source)");
    const good = rm.good && readMetricSource(owner, [...at, "good"], rm.good, ctx);
    const bad = rm.bad && readMetricSource(owner, [...at, "bad"], rm.bad, ctx);
    const total = rm.total && readMetricSource(owner, [...at, "total"], rm.total, ctx);
    if (!total || (!good && !bad) || (good && bad)) return undefined;
    return { name: sli.name, ratio: { counter: rm.counter === true, good, bad, total } };
  }
  if (spec.thresholdMetric) {
    const threshold = readMetricSource(owner, [...base, "thresholdMetric"], spec.thresholdMetric, ctx);
    return threshold ? { name: sli.name, threshold } : undefined;
  }
  r.error(base, "expected ratioMetric or thresholdMetric");
  return undefined;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The SLO's one time window: its length and whether it rolls. */
function readWindow(s: SloSpec, r: Reporter): { periodMs?: number; rolling: boolean } {
  // timeWindow is optional in OpenSLO v1: without one, status and rules use a rolling 28 days (said so).
  if (s.timeWindow === undefined || s.timeWindow === null) {
    r.warn(
      ["spec"],
      "no timeWindow: withstand judges this SLO over a rolling 28d window (set spec.timeWindow to choose)",
    );
    return { periodMs: 28 * 86_400_000, rolling: true };
  }
  if (s.timeWindow.length !== 1) {
    r.error(["spec", "timeWindow"], "expected exactly one time window [{duration, isRolling}]");
    return { rolling: true };
  }
  const tw = s.timeWindow[0] as NonNullable<SloSpec["timeWindow"]>[number];
  const at: Path = ["spec", "timeWindow", 0];
  if (tw.isRolling === true && tw.calendar !== undefined)
    r.error([...at, "calendar"], "cannot be set when isRolling is true");
  if (tw.isRolling === false && tw.calendar === undefined)
    r.error(
      [...at, "isRolling"],
      "a calendar window needs calendar: {startTime, timeZone} (or isRolling: true)",
    );
  if (tw.calendar !== undefined) {
    if (!TIMESTAMP.test(tw.calendar.startTime))
      r.error(
        [...at, "calendar", "startTime"],
        `got ${JSON.stringify(tw.calendar.startTime)} (expected a date and time such as 2022-01-01 12:00:00)`,
      );
    if (!validTimeZone(tw.calendar.timeZone))
      r.error(
        [...at, "calendar", "timeZone"],
        `got ${JSON.stringify(tw.calendar.timeZone)} (expected an IANA time zone such as UTC, America/New_York, Europe/Warsaw)`,
      );
  }
  const periodMs = parseShorthand(tw.duration);
  if (
    periodMs !== undefined &&
    typeof tw.duration === "string" &&
    /^\d+m$/.test(tw.duration) &&
    periodMs < 3_600_000
  )
    r.warn(
      [...at, "duration"],
      `${tw.duration} is ${tw.duration === "1m" ? "one minute" : "minutes"} in OpenSLO (did you mean ${tw.duration.replace("m", "M")}, a month?)`,
    );
  return {
    ...(periodMs !== undefined ? { periodMs } : {}),
    rolling: tw.isRolling ?? tw.calendar === undefined,
  };
}

function readObjectives(s: SloSpec, r: Reporter, indicator: Indicator | undefined): Objective[] {
  const method = s.budgetingMethod;
  const objectives: Objective[] = [];
  s.objectives.forEach((o, i) => {
    const path: Path = ["spec", "objectives", i];
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
    // As OpenSLO's validator: op and value belong to a thresholdMetric; on a ratio they are an error.
    if (indicator?.ratio)
      for (const key of ["op", "value"] as const)
        if (o[key] !== undefined)
          r.error(
            [...path, key],
            "is not allowed on an objective of a ratioMetric SLI (op and value are for a thresholdMetric; remove it)",
            true,
          );
    if (indicator?.threshold && (o.op === undefined || o.value === undefined))
      r.error(path, "a thresholdMetric objective needs op (lt, lte, gt, gte) and value");
    if (o.target !== undefined && o.targetPercent !== undefined) {
      r.error([...path, "targetPercent"], "target and targetPercent are mutually exclusive");
      return;
    }
    const target = o.target ?? (o.targetPercent === undefined ? undefined : o.targetPercent / 100);
    if (target === undefined || target < 0 || target >= 1) {
      r.error(
        [...path, o.target !== undefined ? "target" : "targetPercent"],
        `got ${JSON.stringify(o.target ?? o.targetPercent)} (expected target in [0, 1) or targetPercent in [0, 100))`,
      );
      return;
    }
    if (method === "Timeslices") {
      if (o.timeSliceTarget === undefined)
        r.error([...path, "timeSliceTarget"], "is required for Timeslices (expected a ratio in (0, 1])");
      else if (o.timeSliceTarget <= 0 || o.timeSliceTarget > 1)
        r.error([...path, "timeSliceTarget"], `got ${o.timeSliceTarget} (expected a ratio in (0, 1])`);
    }
    const sliceMs = o.timeSliceWindow === undefined ? undefined : parseShorthand(o.timeSliceWindow);
    if ((method === "Timeslices" || method === "RatioTimeslices") && sliceMs === undefined)
      r.error([...path, "timeSliceWindow"], `is required for ${method} (expected e.g. 1m)`);
    objectives.push({
      displayName: o.displayName,
      target,
      op: o.op,
      value: o.value,
      timeSliceTarget: o.timeSliceTarget,
      timeSliceWindowMs: sliceMs,
    });
  });
  return objectives;
}

function readConditions(d: Doc, s: SloSpec, ctx: Ctx): AlertConditionDef[] {
  const conditions: AlertConditionDef[] = [];
  (s.alertPolicies ?? []).forEach((ap, i) => {
    const at: Path = ["spec", "alertPolicies", i];
    const policy = inlineOrRef<AlertPolicySpec>(
      d,
      at,
      ap as { metadata?: { name: string }; spec?: unknown },
      ap.alertPolicyRef as string | undefined,
      [...at, "alertPolicyRef"],
      "AlertPolicy",
      ctx,
    );
    if (!policy) return;
    policy.spec.conditions.forEach((c, j) => {
      const cat: Path = [...policy.base, "conditions", j];
      const cond = inlineOrRef<AlertConditionSpec>(
        policy.doc,
        cat,
        c as { metadata?: { name: string }; spec?: unknown },
        c.conditionRef as string | undefined,
        [...cat, "conditionRef"],
        "AlertCondition",
        ctx,
      );
      if (!cond) return;
      const cc = cond.spec.condition;
      conditions.push({
        name: cond.name,
        severity: cond.spec.severity,
        op: cc.op,
        threshold: cc.threshold,
        lookbackMs: parseShorthand(cc.lookbackWindow) ?? 0,
        alertAfterMs: parseShorthand(cc.alertAfter ?? "0m") ?? 0,
      });
    });
  });
  return conditions;
}

function readSlo(d: Doc, ctx: Ctx): Slo | undefined {
  const s = d.spec as SloSpec;
  const r = d.r;
  const composite = s.objectives.some((o) => o.indicator !== undefined || o.indicatorRef !== undefined);
  if (s.indicator !== undefined && s.indicatorRef !== undefined)
    r.error(
      ["spec", "indicatorRef"],
      "indicator and indicatorRef are mutually exclusive (expected one of them)",
    );
  else if (s.indicator === undefined && s.indicatorRef === undefined && !composite)
    r.error(["spec"], "expected exactly one of indicator and indicatorRef");
  const sli = inlineOrRef<SliSpec>(
    d,
    ["spec", "indicator"],
    s.indicator,
    s.indicatorRef,
    ["spec", "indicatorRef"],
    "SLI",
    ctx,
  );
  const indicator = sli ? readIndicator(sli, ctx) : undefined;
  const window = readWindow(s, r);
  const objectives = readObjectives(s, r, indicator);
  const conditions = readConditions(d, s, ctx);
  if (!indicator || window.periodMs === undefined || objectives.length === 0) return undefined;
  const { line, col } = positionOf(d.src, []);
  const labels: Record<string, string> = {};
  if (isRecord(d.metadata.labels))
    for (const [k, v] of Object.entries(d.metadata.labels))
      labels[k] = Array.isArray(v) ? v.join(",") : String(v);
  return {
    name: d.name,
    service: s.service ?? "default",
    description: s.description,
    indicator,
    periodMs: window.periodMs,
    rolling: window.rolling,
    budgetingMethod: s.budgetingMethod,
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
