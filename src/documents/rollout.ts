import { dirname, resolve } from "node:path";
import { parseCondition } from "../core/condition.js";
import type { Direction, NoDataPolicy } from "../core/judge.js";
import { revisionProblem } from "../core/revision.js";
import type {
  AnalysisSpec,
  FlagTarget,
  RolloutMetric,
  RolloutSpec,
  Step,
  UpstreamSpec,
} from "../core/rollout.js";
import { type AnalysisTemplateDoc, collectTemplates, resolveTemplates } from "./analysis-template.js";
import { type Diagnostic, fileDiagnostic, hasErrors } from "./diagnostic.js";
import { check, checkKeys, isRecord, openNative, type Reporter, scoped } from "./reporter.js";
import { FLAG_ROLLOUT } from "./rollout-flag.js";
import { parseSource, positionOf, readSource, type SourceDoc, unreadable } from "./source.js";
import { readBool, readCount, readDuration, readNumber, readString } from "./values.js";

export const SPEC_KEYS = [
  "listen",
  "stable",
  "canary",
  "baseline",
  "stickiness",
  "steps",
  "analysis",
  "prometheus",
  "drainTimeout",
  "metrics",
  "flag",
];
export const UPSTREAM_KEYS = ["url", "command", "env", "cwd", "label", "clock", "readyTimeout"];
export const ANALYSIS_KEYS = [
  "interval",
  "count",
  "initialDelay",
  "judge",
  "metrics",
  "successCondition",
  "failureCondition",
  "failureLimit",
  "inconclusiveLimit",
  "consecutiveErrorLimit",
  "startingStep",
  "templates",
  "args",
];
export const JUDGE_KEYS = ["metrics", "thresholds", "confidence", "weights"];
export const METRIC_KEYS = [
  "name",
  "source",
  "measure",
  "query",
  "prometheus",
  "direction",
  "critical",
  "mustHaveData",
  "nanStrategy",
  "outliers",
  "outlierFactor",
  "allowedIncrease",
  "allowedDecrease",
  "criticalIncrease",
  "criticalDecrease",
  "minShift",
  "minPoints",
  "noData",
  "group",
  "url",
  "requests",
];

/** A synthetic metric (a flag rollout's): this many requests per variant and measurement by default. */
export const SYNTHETIC_REQUESTS = 20;

/**
 * Router latency is judged for practical significance by default: the canary must be at least 10%
 * and 1 ms slower (or faster) than the baseline before the shift counts. Each is overridable.
 */
export const LATENCY_DEFAULTS = { allowedIncrease: 1.1, allowedDecrease: 0.9, minShift: 1 } as const;

/** Router metrics are judged request by request: fewer than this many requests per version is NO DATA. */
export const ROUTER_MIN_POINTS = 50;

function oneOf<T extends string>(
  v: unknown,
  options: readonly T[],
  path: (string | number)[],
  r: Reporter,
  fallback: T,
): T {
  if (v === undefined) return fallback;
  if (typeof v === "string" && (options as readonly string[]).includes(v)) return v as T;
  r.error(path, `got ${JSON.stringify(v)} (expected ${options.join(", ")})`);
  return fallback;
}

function readListen(v: unknown, r: Reporter, key = "listen"): { host: string; port: number } {
  if (v === undefined) return { host: "127.0.0.1", port: 0 };
  const text = typeof v === "number" ? `127.0.0.1:${v}` : typeof v === "string" ? v : "";
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    r.error([key], `got ${JSON.stringify(v)} (expected HOST:PORT such as 127.0.0.1:9000, or a port)`);
    return { host: "127.0.0.1", port: 0 };
  }
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

function readUpstream(v: unknown, r: Reporter, baseDir: string): UpstreamSpec {
  const out: UpstreamSpec = { readyTimeoutMs: 30_000, cwd: baseDir };
  if (!isRecord(v)) {
    r.error([], "is required (expected {url: http://HOST:PORT} or {command: ...})");
    return out;
  }
  checkKeys(v, UPSTREAM_KEYS, [], r);
  if (v.url !== undefined) {
    const url = readString(v.url, ["url"], r, "an http:// URL");
    if (url !== undefined && !/^http:\/\/[^/]+/.test(url))
      r.error(["url"], `got ${JSON.stringify(url)} (expected an http:// URL)`);
    else if (url !== undefined) out.url = url;
  }
  if (v.command !== undefined) {
    if (typeof v.command === "string" && v.command.trim() !== "")
      out.command = ["sh", "-c", `exec ${v.command}`];
    else if (
      Array.isArray(v.command) &&
      v.command.length > 0 &&
      v.command.every((a) => typeof a === "string" || typeof a === "number")
    )
      out.command = v.command.map(String);
    else
      r.error(
        ["command"],
        `got ${JSON.stringify(v.command)} (expected a command line or a list of arguments)`,
      );
  }
  if (v.env !== undefined) {
    if (isRecord(v.env)) out.env = Object.fromEntries(Object.entries(v.env).map(([k, x]) => [k, String(x)]));
    else r.error(["env"], "expected a mapping of variable names to values");
  }
  if (v.cwd !== undefined) out.cwd = resolve(baseDir, readString(v.cwd, ["cwd"], r, "a directory") ?? ".");
  if (v.label !== undefined) {
    const label = readString(v.label, ["label"], r, "the version's label value in Prometheus, e.g. v2");
    if (label !== undefined) out.label = label;
  }
  if (v.clock !== undefined) {
    const clock = readString(v.clock, ["clock"], r, "a clock name for clock-skew faults");
    if (clock !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(clock))
      r.error(["clock"], `got ${JSON.stringify(clock)} (expected letters, digits, _ . -)`);
    else if (clock !== undefined) out.clock = clock;
    if (v.command === undefined)
      r.warn(
        ["clock"],
        "has no effect without a command (withstand only moves the clocks of what it starts)",
      );
  }
  if (v.readyTimeout !== undefined)
    out.readyTimeoutMs = readDuration(v.readyTimeout, ["readyTimeout"], r) ?? 30_000;
  if (v.url === undefined && v.command === undefined)
    r.error([], "expected url, command, or both (a command and the url it listens on)");
  return out;
}

function readMetric(
  v: unknown,
  r: Reporter,
  prometheus: string | undefined,
  flag: boolean,
): RolloutMetric | undefined {
  if (!isRecord(v)) {
    r.error([], "expected a metric {name, source: router|prometheus|synthetic, measure or query, direction}");
    return undefined;
  }
  checkKeys(v, METRIC_KEYS, [], r);
  const name = readString(v.name, ["name"], r, "a metric name");
  const source = oneOf(
    v.source,
    ["router", "prometheus", "synthetic"] as const,
    ["source"],
    r,
    flag ? "synthetic" : "router",
  );
  const m: RolloutMetric = {
    name: name ?? "metric",
    source,
    direction: oneOf<Direction>(
      v.direction,
      ["increase", "decrease", "either"],
      ["direction"],
      r,
      "increase",
    ),
  };
  if (source === "router" && flag)
    r.error(
      ["source"],
      "a flag rollout has no router (expected source: synthetic, or prometheus with {{variant}} in the query)",
    );
  if (source === "synthetic" && !flag)
    r.error(["source"], "synthetic metrics judge flag variants (expected spec.flag, or source: router)");
  if (source === "router" || source === "synthetic") {
    if (v.measure === undefined)
      r.error(["measure"], `is required for source: ${source} (expected error-rate or latency)`);
    m.measure = oneOf(v.measure, ["error-rate", "latency"] as const, ["measure"], r, "error-rate");
  }
  if (source === "synthetic") {
    const url = readString(v.url, ["url"], r, "an http:// URL with {{targetingKey}}");
    if (url !== undefined && !/^https?:\/\/[^/]+/.test(url))
      r.error(["url"], `got ${JSON.stringify(url)} (expected an http:// URL)`);
    else if (url !== undefined) {
      m.url = url;
      if (!url.includes("{{targetingKey}}") && !url.includes("{{variant}}"))
        r.warn(["url"], "has no {{targetingKey}}: every variant's requests would be the same");
    }
    m.requests =
      v.requests === undefined
        ? SYNTHETIC_REQUESTS
        : readCount(v.requests, ["requests"], r, SYNTHETIC_REQUESTS, 1);
    if (m.requests > 1000) r.error(["requests"], `got ${m.requests} (expected at most 1000)`);
  } else if (v.url !== undefined || v.requests !== undefined)
    r.error([v.url !== undefined ? "url" : "requests"], "is for source: synthetic only");
  if (source === "prometheus") {
    const q = readString(v.query, ["query"], r, "a PromQL query with {{version}}");
    if (q !== undefined) {
      m.query = q;
      const marks = flag ? ["{{variant}}", "{{ variant }}"] : ["{{version}}", "{{ version }}"];
      if (!marks.some((x) => q.includes(x)))
        r.warn(
          ["query"],
          `has no ${marks[0]}: ${flag ? "both variants" : "stable and canary"} would get the same numbers`,
        );
    }
    const url =
      v.prometheus === undefined
        ? prometheus
        : readString(v.prometheus, ["prometheus"], r, "a Prometheus URL");
    if (url === undefined)
      r.error(["prometheus"], "is required for source: prometheus (here or as spec.prometheus)");
    else m.prometheus = url;
  }
  for (const k of ["critical", "mustHaveData"] as const)
    if (v[k] !== undefined) {
      const b = readBool(v[k], [k], r);
      if (b !== undefined) m[k] = b;
    }
  if (v.nanStrategy !== undefined)
    m.nanStrategy = oneOf(v.nanStrategy, ["remove", "replace"] as const, ["nanStrategy"], r, "remove");
  if (v.outliers !== undefined)
    m.outliers = oneOf(v.outliers, ["keep", "remove"] as const, ["outliers"], r, "keep");
  if (v.noData !== undefined)
    m.noData = oneOf<NoDataPolicy>(v.noData, ["inconclusive", "fail", "pass"], ["noData"], r, "inconclusive");
  for (const k of [
    "outlierFactor",
    "allowedIncrease",
    "allowedDecrease",
    "criticalIncrease",
    "criticalDecrease",
  ] as const)
    if (v[k] !== undefined) {
      const n = readNumber(v[k], [k], r, "a positive number");
      if (n !== undefined && n > 0) m[k] = n;
      else if (n !== undefined) r.error([k], `got ${n} (expected a positive number)`);
    }
  if (v.minShift !== undefined) {
    const n = readNumber(v.minShift, ["minShift"], r, "the smallest shift that counts, in the metric's unit");
    if (n !== undefined && n >= 0) m.minShift = n;
    else if (n !== undefined) r.error(["minShift"], `got ${n} (expected a number >= 0)`);
  }
  if (v.minPoints !== undefined) {
    const n = readNumber(v.minPoints, ["minPoints"], r, "the fewest points per version that can be judged");
    if (n !== undefined && Number.isInteger(n) && n >= 1) m.minPoints = n;
    else if (n !== undefined) r.error(["minPoints"], `got ${n} (expected a whole number >= 1)`);
  }
  if (m.source === "router") m.minPoints ??= ROUTER_MIN_POINTS;
  if (m.source === "synthetic") m.minPoints ??= Math.min(m.requests ?? SYNTHETIC_REQUESTS, 10);
  if (m.source === "router" && m.measure === "latency")
    for (const [k, d] of Object.entries(LATENCY_DEFAULTS) as [keyof typeof LATENCY_DEFAULTS, number][])
      m[k] ??= d;
  if (v.group !== undefined) m.group = readString(v.group, ["group"], r) ?? "default";
  return m;
}

function readAnalysis(
  v: unknown,
  r: Reporter,
  loc: string,
  prometheus: string | undefined,
  flag: boolean,
): AnalysisSpec | undefined {
  if (!isRecord(v)) {
    r.error([], "expected {interval, count, judge: {metrics: [...]}}");
    return undefined;
  }
  checkKeys(v, ANALYSIS_KEYS, [], r);
  const judge = isRecord(v.judge) ? v.judge : {};
  if (v.judge !== undefined && !isRecord(v.judge))
    r.error(["judge"], "expected {metrics, thresholds, confidence, weights}");
  if (isRecord(v.judge)) checkKeys(v.judge, JUDGE_KEYS, ["judge"], r);
  const metricsAt = judge.metrics !== undefined ? ["judge", "metrics"] : ["metrics"];
  const rawMetrics = judge.metrics ?? v.metrics;
  if (!Array.isArray(rawMetrics) || rawMetrics.length === 0) {
    r.error(
      v.judge !== undefined ? ["judge", "metrics"] : [],
      "expected judge: {metrics: [...]} (withstand's canary judge) or templates: [{templateName}] with args (Argo AnalysisTemplates)",
    );
    return undefined;
  }
  const metrics = rawMetrics.flatMap(
    (m, i) => readMetric(m, scoped(r, [...metricsAt, i]), prometheus, flag) ?? [],
  );
  const names = new Set<string>();
  metrics.forEach((m, i) => {
    if (names.has(m.name)) r.error([...metricsAt, i, "name"], `duplicate metric name ${m.name}`);
    names.add(m.name);
  });
  const a: AnalysisSpec = {
    loc,
    initialDelayMs:
      v.initialDelay === undefined ? 0 : (readDuration(v.initialDelay, ["initialDelay"], r) ?? 0),
    metrics,
    confidence: 0.98,
    thresholds: { pass: 95, marginal: 75 },
    weights: {},
    failureLimit: readCount(v.failureLimit, ["failureLimit"], r, 0, -1),
    inconclusiveLimit: readCount(v.inconclusiveLimit, ["inconclusiveLimit"], r, 0),
    consecutiveErrorLimit: readCount(v.consecutiveErrorLimit, ["consecutiveErrorLimit"], r, 4),
  };
  if (v.interval !== undefined) {
    const ms = readDuration(v.interval, ["interval"], r);
    if (ms !== undefined && ms < 100)
      r.error(["interval"], `got ${JSON.stringify(v.interval)} (expected at least 100ms)`);
    else if (ms !== undefined) a.intervalMs = ms;
  }
  if (v.count !== undefined) a.count = readCount(v.count, ["count"], r, 1, 0);
  if (judge.confidence !== undefined) {
    const c = readNumber(
      judge.confidence,
      ["judge", "confidence"],
      r,
      "a confidence level between 0.5 and 0.9999",
    );
    if (c !== undefined && (c < 0.5 || c >= 1))
      r.error(["judge", "confidence"], `got ${c} (expected between 0.5 and 0.9999)`);
    else if (c !== undefined) a.confidence = c;
  }
  if (judge.thresholds !== undefined) {
    if (!isRecord(judge.thresholds)) r.error(["judge", "thresholds"], "expected {pass, marginal}");
    else {
      checkKeys(judge.thresholds, ["pass", "marginal"], ["judge", "thresholds"], r);
      const pass =
        readNumber(
          judge.thresholds.pass ?? 95,
          ["judge", "thresholds", "pass"],
          r,
          "a score from 0 to 100",
        ) ?? 95;
      const marginal =
        readNumber(
          judge.thresholds.marginal ?? 75,
          ["judge", "thresholds", "marginal"],
          r,
          "a score from 0 to 100",
        ) ?? 75;
      if (marginal > pass)
        r.error(["judge", "thresholds", "marginal"], `got ${marginal} (expected at most pass, ${pass})`);
      a.thresholds = { pass, marginal };
    }
  }
  if (judge.weights !== undefined) {
    if (!isRecord(judge.weights))
      r.error(["judge", "weights"], "expected a mapping of group name to weight (percent)");
    else
      for (const [g, w] of Object.entries(judge.weights)) {
        const n = readNumber(w, ["judge", "weights", g], r, "a weight from 0 to 100");
        if (n !== undefined) a.weights[g] = n;
      }
  }
  for (const k of ["successCondition", "failureCondition"] as const) {
    if (v[k] === undefined) continue;
    const text = readString(v[k], [k], r, 'a condition such as "score >= 95" or "errors.canary < 0.01"');
    if (text === undefined) continue;
    const parsed = parseCondition(text);
    if (!parsed.ok)
      r.error([k], `${parsed.error} (expected a condition such as "score >= 95 && errors.canary < 0.01")`);
    else a[k] = text;
  }
  return a;
}

/** Where a rollout's analyses find the AnalysisTemplates they name, and where template problems go. */
interface TemplateContext {
  templates: ReadonlyMap<string, AnalysisTemplateDoc>;
  sink: Diagnostic[];
  /** A flag rollout (spec.flag): no router metrics, synthetic ones allowed. */
  flag: boolean;
}

/**
 * An analysis: withstand's judge (`judge.metrics`), Argo's `templates` with `args` (one analysis per
 * template metric), or both side by side.
 */
function readAnalyses(
  v: unknown,
  r: Reporter,
  loc: string,
  prometheus: string | undefined,
  ctx: TemplateContext,
): AnalysisSpec[] {
  if (!isRecord(v) || v.templates === undefined) {
    const a = readAnalysis(v, r, loc, prometheus, ctx.flag);
    return a ? [a] : [];
  }
  const out = resolveTemplates(v, r, ctx.templates, ctx.sink);
  if (v.judge !== undefined || v.metrics !== undefined) {
    const a = readAnalysis(v, r, loc, prometheus, ctx.flag);
    if (a) out.unshift(a);
  } else checkKeys(v, ["templates", "args", "startingStep", "dryRun", "measurementRetention"], [], r);
  if (v.dryRun !== undefined) r.error(["dryRun"], "is not supported yet (every metric decides)");
  return out;
}

function readStep(
  v: unknown,
  r: Reporter,
  loc: string,
  prometheus: string | undefined,
  ctx: TemplateContext,
): Step | undefined {
  if (!isRecord(v) || Object.keys(v).length !== 1) {
    r.error([], "expected exactly one of setWeight, pause, analysis");
    return undefined;
  }
  const [key, value] = Object.entries(v)[0] as [string, unknown];
  if (key === "setWeight") {
    const w = readNumber(value, ["setWeight"], r, "a weight from 0 to 100");
    if (w === undefined) return undefined;
    if (w < 0 || w > 100) {
      r.error(["setWeight"], `got ${w} (expected a weight from 0 to 100)`);
      return undefined;
    }
    return { kind: "setWeight", weight: w, loc };
  }
  if (key === "pause") {
    if (value === null || (isRecord(value) && value.duration === undefined)) {
      if (isRecord(value)) checkKeys(value, ["duration"], ["pause"], r);
      return { kind: "pause", loc };
    }
    const raw = isRecord(value) ? value.duration : value;
    if (isRecord(value)) checkKeys(value, ["duration"], ["pause"], r);
    const ms = readDuration(raw, isRecord(value) ? ["pause", "duration"] : ["pause"], r);
    return ms === undefined ? undefined : { kind: "pause", durationMs: ms, loc };
  }
  if (key === "analysis") {
    const analyses = readAnalyses(value, scoped(r, ["analysis"]), loc, prometheus, ctx);
    return analyses.length > 0 ? { kind: "analysis", analyses, loc } : undefined;
  }
  r.error([key], `unknown step (expected setWeight, pause or analysis)`);
  return undefined;
}

/** `spec.flag` through its one schema; the router's keys have no meaning beside it. */
function readFlagTarget(spec: Record<string, unknown>, r: Reporter, loc: string): FlagTarget | undefined {
  for (const k of ["listen", "stable", "canary", "baseline", "stickiness"])
    if (spec[k] !== undefined)
      r.error(
        [k],
        "is for a rollout of versions behind the router; a flag rollout (spec.flag) routes nothing (expected it left out)",
      );
  const p = check(FLAG_ROLLOUT, spec.flag, ["flag"], r);
  if (!p) return undefined;
  if (p.baseline === p.variant)
    r.error(
      ["flag", "baseline"],
      `got ${JSON.stringify(p.baseline)} (expected a variant other than ${p.variant})`,
    );
  return { ...p, server: p.server.replace(/\/$/, ""), loc };
}

const ANNOTATION = { revision: "withstand.dev/revision", commitTime: "withstand.dev/commit-time" };

/** The change a rollout deploys: `metadata.revision`/`commitTime`, or their `withstand.dev/` annotations. */
function readChange(metadata: unknown, r: Reporter): RolloutSpec["change"] {
  if (!isRecord(metadata)) return undefined;
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const pick = (key: "revision" | "commitTime"): { value: unknown; path: (string | number)[] } =>
    metadata[key] !== undefined
      ? { value: metadata[key], path: ["metadata", key] }
      : { value: annotations[ANNOTATION[key]], path: ["metadata", "annotations", ANNOTATION[key]] };
  const rev = pick("revision");
  const time = pick("commitTime");
  let revision = rev.value === undefined ? undefined : readString(rev.value, rev.path, r, "a revision");
  const problem = revision === undefined ? undefined : revisionProblem(revision);
  if (problem) {
    r.error(rev.path, problem);
    revision = undefined;
  }
  let commitTime: string | undefined;
  if (time.value !== undefined) {
    const t = time.value instanceof Date ? time.value.toISOString() : time.value;
    if (typeof t !== "string" || Number.isNaN(Date.parse(t)))
      r.error(time.path, `got ${JSON.stringify(t)} (expected a time such as 2026-12-07T14:00:00Z)`);
    else commitTime = new Date(t).toISOString();
  }
  return revision === undefined && commitTime === undefined
    ? undefined
    : { revision, commitTime, from: "document" };
}

/** Reads a `kind: Rollout` document, with every problem at its file:line:col. */
export function readRollout(
  src: SourceDoc,
  templates: ReadonlyMap<string, AnalysisTemplateDoc> = new Map(),
): { spec?: RolloutSpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "Rollout");
  if (!top) return { diagnostics };
  const flagMode = isRecord(top.spec) && top.spec.flag !== undefined;
  const ctx: TemplateContext = { templates, sink: diagnostics, flag: flagMode };
  const name = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "";
  if (!name) r.error(["metadata", "name"], "is required (expected a name for the rollout)");
  if (!isRecord(top.spec)) {
    r.error(["spec"], "is required (expected a mapping with listen, stable, canary, steps)");
    return { diagnostics };
  }
  const spec = top.spec;
  const sr = scoped(r, ["spec"]);
  checkKeys(spec, SPEC_KEYS, [], sr);
  const loc = (path: (string | number)[]) => {
    const p = positionOf(src, ["spec", ...path]);
    return `${src.file}:${p.line}:${p.col}`;
  };
  const prometheus =
    spec.prometheus === undefined
      ? undefined
      : readString(spec.prometheus, ["prometheus"], sr, "a Prometheus URL");
  const stickiness: { header?: string; cookie?: string } = {};
  if (spec.stickiness !== undefined) {
    if (!isRecord(spec.stickiness)) sr.error(["stickiness"], "expected {header: NAME} or {cookie: NAME}");
    else {
      checkKeys(spec.stickiness, ["header", "cookie"], ["stickiness"], sr);
      if (spec.stickiness.header !== undefined)
        stickiness.header =
          readString(spec.stickiness.header, ["stickiness", "header"], sr, "a header name") ?? "";
      if (spec.stickiness.cookie !== undefined)
        stickiness.cookie =
          readString(spec.stickiness.cookie, ["stickiness", "cookie"], sr, "a cookie name") ?? "";
    }
  }
  const steps: Step[] = [];
  if (!Array.isArray(spec.steps) || spec.steps.length === 0)
    sr.error(["steps"], "is required (expected a list of setWeight, pause and analysis steps)");
  else
    spec.steps.forEach((s, i) => {
      const step = readStep(s, scoped(sr, ["steps", i]), loc(["steps", i]), prometheus, ctx);
      if (step) steps.push(step);
    });
  // Commands run in the document's directory, so a document works from any working directory.
  const baseDir = dirname(resolve(src.file));
  const flag = flagMode ? readFlagTarget(spec, sr, loc(["flag"])) : undefined;
  // A flag rollout has no versions to run: its canary is a variant the flag server hands out.
  const none: UpstreamSpec = { readyTimeoutMs: 0 };
  const out: RolloutSpec = {
    name,
    file: src.file,
    listen: readListen(spec.listen, sr),
    stable: flagMode ? none : readUpstream(spec.stable, scoped(sr, ["stable"]), baseDir),
    canary: flagMode ? none : readUpstream(spec.canary, scoped(sr, ["canary"]), baseDir),
    steps,
    drainTimeoutMs:
      spec.drainTimeout === undefined
        ? 10_000
        : (readDuration(spec.drainTimeout, ["drainTimeout"], sr) ?? 10_000),
  };
  if (flag) out.flag = flag;
  if (stickiness.header || stickiness.cookie) out.stickiness = stickiness;
  if (spec.baseline !== undefined && !flagMode)
    out.baseline = readUpstream(spec.baseline, scoped(sr, ["baseline"]), baseDir);
  if (spec.metrics !== undefined) out.metrics = readListen(spec.metrics, sr, "metrics");
  if (spec.analysis !== undefined) {
    const analyses = readAnalyses(
      spec.analysis,
      scoped(sr, ["analysis"]),
      loc(["analysis"]),
      prometheus,
      ctx,
    );
    const startingStep = isRecord(spec.analysis)
      ? readCount(spec.analysis.startingStep, ["startingStep"], scoped(sr, ["analysis"]), 0)
      : 0;
    if (analyses.length > 0) out.background = { analyses, startingStep };
  }
  if (!steps.some((s) => s.kind === "setWeight"))
    sr.warn(["steps"], "no setWeight step: the canary gets no traffic until it is promoted");
  const change = readChange(top.metadata, r);
  if (change) out.change = change;
  if (hasErrors(diagnostics)) return { diagnostics };
  return { spec: out, diagnostics };
}

/**
 * Reads a Rollout file and the AnalysisTemplates its analyses name: in the same file (any order, as
 * Argo users keep them) or in `templateFiles` (`--template FILE`).
 */
export async function loadRolloutFile(
  file: string,
  templateFiles: readonly string[] = [],
): Promise<{ spec?: RolloutSpec; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const docs: SourceDoc[][] = [];
  for (const f of [file, ...templateFiles]) {
    try {
      const parsed = parseSource(f, await readSource(f));
      diagnostics.push(...parsed.diagnostics);
      docs.push(parsed.docs);
    } catch (err) {
      diagnostics.push(unreadable(f, err, f === file ? "a Rollout file" : "an AnalysisTemplate file"));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  const read = readRolloutDocs(file, docs[0] ?? [], docs.slice(1).flat());
  return { ...read, diagnostics: [...diagnostics, ...read.diagnostics] };
}

/** The Rollout among a file's documents, with the templates of all the documents given. */
export function readRolloutDocs(
  file: string,
  own: readonly SourceDoc[],
  others: readonly SourceDoc[] = [],
): { spec?: RolloutSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const rollout = own.find(
    (d) => isRecord(d.value) && d.value.kind === "Rollout" && d.value.apiVersion === "withstand/v1",
  );
  const templates = collectTemplates(own, diagnostics, others);
  if (!rollout) {
    const argo = own.some((d) => isRecord(d.value) && d.value.kind === "Rollout");
    diagnostics.push(
      fileDiagnostic(
        file,
        argo
          ? "an Argo Rollout (argoproj.io) needs Kubernetes: write apiVersion: withstand/v1, kind: Rollout with listen, stable, canary and the same steps"
          : "no Rollout document (expected apiVersion: withstand/v1, kind: Rollout)",
      ),
    );
    return { diagnostics };
  }
  const r = readRollout(rollout, templates);
  return { ...r, diagnostics: [...diagnostics, ...r.diagnostics] };
}
