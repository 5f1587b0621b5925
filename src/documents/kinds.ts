import type { z } from "zod";
import { checkTemplates, isTemplate } from "./analysis-template.js";
import { foreignManifest, isSlothSpec, NATIVE_KINDS, slothSpecMessage } from "./detect.js";
import { type Diagnostic, formatPath, hasErrors } from "./diagnostic.js";
import { experimentFromParsed } from "./experiment-file.js";
import { flagFileKind } from "./flag-file.js";
import { readGameDay } from "./gameday.js";
import { GOSSFILE, looksLikeGossfileTop } from "./gossfile-schema.js";
import { readHeartbeat } from "./heartbeat.js";
import { readLab } from "./lab.js";
import { readLoadTest } from "./load-test-file.js";
import { readOpenSlo } from "./openslo.js";
import { check, isRecord } from "./reporter.js";
import { readRiskCatalog } from "./risk-catalog.js";
import { readRolloutDocs } from "./rollout.js";
import { SCHEMAS, toJsonSchema } from "./schemas.js";
import { diagnosticAt, parseSource, type SourceDoc } from "./source.js";
import { readSynthetic } from "./synthetic.js";

/** What validating one file found: its kind, a one-line summary when valid, and every diagnostic. */
export interface CheckedDocument {
  kind: string;
  valid: boolean;
  summary: string;
  diagnostics: Diagnostic[];
}

interface Parsed {
  docs: SourceDoc[];
  diagnostics: Diagnostic[];
}

/** What a file is checked with besides itself: the documents of the other files given (and --template). */
export interface CheckContext {
  others: readonly SourceDoc[];
}

/**
 * A kind of document withstand reads: how to recognise it from its content, its schema (what
 * `withstand schema` exports for editors and `validate` checks), and its reader. The first kind that
 * matches reads the file; Chaos Toolkit experiments are the fallback.
 */
export interface DocumentKindEntry {
  /** The name `withstand schema NAME` takes. */
  name: string;
  title: string;
  /** The structure of a document of this kind; absent for a kind that is only recognised to be refused. */
  schema?: z.ZodType;
  matches(first: Record<string, unknown>, all: readonly unknown[]): boolean;
  check(file: string, parsed: Parsed, ctx: CheckContext): CheckedDocument;
}

const native = (kind: string) => (v: Record<string, unknown>) =>
  v.apiVersion === "withstand/v1" && v.kind === kind;

/** Joins the parser's diagnostics with a reader's, and decides validity from both. */
function checked(
  kind: string,
  parsed: Parsed,
  r: { diagnostics: Diagnostic[] },
  summary?: string,
): CheckedDocument {
  const diagnostics = [...parsed.diagnostics, ...r.diagnostics];
  return {
    kind,
    valid: summary !== undefined && !hasErrors(diagnostics),
    summary: summary ?? "",
    diagnostics,
  };
}

/** A native single-document kind: read its first document, summarise what was read when it is valid. */
function nativeKind<T>(
  name: keyof typeof SCHEMAS,
  read: (doc: SourceDoc) => { value?: T | undefined; diagnostics: Diagnostic[] },
  summary: (value: T) => string,
): DocumentKindEntry {
  return {
    name,
    title: `withstand ${name}`,
    schema: SCHEMAS[name],
    matches: native(name),
    check(_file, parsed) {
      const r = read(parsed.docs[0] as SourceDoc);
      return checked(name, parsed, r, r.value === undefined ? undefined : summary(r.value));
    },
  };
}

const loadTest = nativeKind(
  "LoadTest",
  (doc) => {
    const r = readLoadTest(doc);
    return { value: r.plan, diagnostics: r.diagnostics };
  },
  (p) =>
    `valid withstand LoadTest "${p.name}" (${p.executor.type}, ${p.requests.length} request templates, ${p.thresholds.length} thresholds)`,
);

const synthetic = nativeKind(
  "Synthetic",
  (doc) => {
    const r = readSynthetic(doc);
    return { value: r.spec, diagnostics: r.diagnostics };
  },
  (s) =>
    `valid withstand Synthetic "${s.name}" (${s.steps.length} steps, every ${Math.round(s.everyMs / 1000)}s, severity ${s.severity})`,
);

const heartbeat = nativeKind(
  "Heartbeat",
  (doc) => {
    const r = readHeartbeat(doc);
    return { value: r.spec, diagnostics: r.diagnostics };
  },
  (h) =>
    `valid withstand Heartbeat "${h.name}" (period ${Math.round(h.periodMs / 1000)}s, grace ${Math.round(h.graceMs / 1000)}s, severity ${h.severity})`,
);

const lab = nativeKind(
  "Lab",
  (doc) => {
    const r = readLab(doc);
    return { value: r.spec, diagnostics: r.diagnostics };
  },
  (l) =>
    `valid withstand Lab "${l.name}" (${l.hosts.length} hosts in ${new Set(l.hosts.map((h) => h.zone)).size} zones, ${l.hosts.reduce((n, h) => n + h.processes.length, 0)} processes)`,
);

const riskCatalog = nativeKind(
  "RiskCatalog",
  (doc) => {
    const r = readRiskCatalog(doc);
    return { value: r.spec, diagnostics: r.diagnostics };
  },
  (c) => `valid withstand RiskCatalog "${c.name}" (${c.risks.length} risk${c.risks.length === 1 ? "" : "s"})`,
);

const gameDay = nativeKind(
  "GameDay",
  (doc) => {
    const r = readGameDay(doc);
    return { value: r.spec, diagnostics: r.diagnostics };
  },
  (g) =>
    `valid withstand GameDay "${g.title}" (${g.steps.length} steps, ${g.stopConditions.length} stop conditions, every ${g.intervalMs / 1000}s)`,
);

const isNativeRollout = native("Rollout");

/** A Rollout, with the AnalysisTemplates its analyses name: in its own file or any other file given. */
const rollout: DocumentKindEntry = {
  name: "Rollout",
  title: "withstand Rollout",
  schema: SCHEMAS.Rollout,
  matches: (first, all) =>
    isNativeRollout(first) || (isTemplate(first) && all.some((v) => isRecord(v) && isNativeRollout(v))),
  check(file, parsed, ctx) {
    const r = readRolloutDocs(file, parsed.docs, ctx.others);
    const s = r.spec;
    const templated = s
      ? [
          ...s.steps.flatMap((x) => (x.kind === "analysis" ? x.analyses : [])),
          ...(s.background?.analyses ?? []),
        ].filter((a) => a.provider).length
      : 0;
    return checked(
      "Rollout",
      parsed,
      r,
      s
        ? `valid withstand Rollout "${s.name}" (${s.steps.length} steps, ${s.steps.filter((x) => x.kind === "analysis").length} analyses${s.background ? ", background analysis" : ""}${templated > 0 ? `, ${templated} AnalysisTemplate metrics` : ""})`
        : undefined,
    );
  },
};

/** A file of AnalysisTemplates alone (given to `rollout --template`): each metric read with its defaults. */
const analysisTemplates: DocumentKindEntry = {
  name: "AnalysisTemplate",
  title: "Argo Rollouts AnalysisTemplate (the part withstand reads)",
  schema: SCHEMAS.AnalysisTemplate,
  matches: (first) => isTemplate(first),
  check(_file, parsed, ctx) {
    const r = checkTemplates(parsed.docs, ctx.others);
    return checked("AnalysisTemplate", parsed, r, `valid Argo AnalysisTemplates (${r.names.join(", ")})`);
  },
};

const openSlo: DocumentKindEntry = {
  name: "OpenSLO",
  title: "OpenSLO v1 document",
  schema: SCHEMAS.OpenSLO,
  matches: (v) => v.apiVersion === "openslo/v1",
  check(_file, parsed, ctx) {
    // The other files given are read for refs (an SLI, a DataSource elsewhere); their own problems
    // are reported when they are checked themselves.
    const r = readOpenSlo(parsed.docs, { missingDataSource: "warning", context: ctx.others });
    const others = Object.entries(r.kinds)
      .filter(([k]) => k !== "SLO")
      .map(([k, n]) => `${n} ${k}`);
    const slos = r.slos.length > 0 ? [`${r.slos.length} SLOs: ${r.slos.map((s) => s.name).join(", ")}`] : [];
    return checked("OpenSLO", parsed, r, `valid OpenSLO v1 (${[...slos, ...others].join("; ")})`);
  },
};

/**
 * A Gossfile: its top level has a schema here; `validate` and `check` read it with Goss's rendering
 * (templates, vars) before this registry is asked, so reaching this reader means it was not rendered.
 */
const gossfile: DocumentKindEntry = {
  name: "Gossfile",
  title: "Goss gossfile (its top level: resource types)",
  schema: GOSSFILE,
  matches: looksLikeGossfileTop,
  check(_file, parsed) {
    const doc = parsed.docs[0] as SourceDoc;
    const diagnostics: Diagnostic[] = [];
    const read = check(GOSSFILE, doc.value, [], {
      deferVars: true,
      strict: true,
      error: (path, message, onKey) => diagnostics.push(diagnosticAt(doc, path, message, "error", onKey)),
      warn: (path, message, onKey) => diagnostics.push(diagnosticAt(doc, path, message, "warning", onKey)),
    });
    const types = Object.keys(read ?? {});
    return checked(
      "Gossfile",
      parsed,
      { diagnostics },
      read ? `valid Gossfile top level (${types.join(", ")})` : undefined,
    );
  },
};

/** Another tool's manifest, or an apiVersion withstand does not read: named, with what to do. */
const foreign: DocumentKindEntry = {
  name: "foreign",
  title: "another tool's manifest",
  matches: (v) => foreignManifest(v) !== undefined,
  check(_file, parsed) {
    const doc = parsed.docs[0] as SourceDoc;
    const value = (Array.isArray(doc.value) ? doc.value[0] : doc.value) as Record<string, unknown>;
    const path = Array.isArray(doc.value) ? [0] : [];
    const at = typeof value.kind === "string" && value.apiVersion === "withstand/v1" ? "kind" : "apiVersion";
    const message = foreignManifest(value) ?? "";
    // The message names the apiVersion and kind itself: the diagnostic points at them, with no path.
    const d = { ...diagnosticAt(doc, [...path, at], message), path: formatPath(path) };
    return checked("unknown", parsed, { diagnostics: [d] });
  },
};

/** Sloth's own spec (no apiVersion): named as a Sloth SLO, with what to write instead, never a Gossfile. */
const slothSpec: DocumentKindEntry = {
  name: "sloth",
  title: "a Sloth SLO spec",
  matches: (v) => isSlothSpec(v),
  check(_file, parsed) {
    const doc = parsed.docs[0] as SourceDoc;
    const value = doc.value as Record<string, unknown>;
    const at = value.version !== undefined ? ["version"] : ["slos"];
    return checked("unknown", parsed, {
      diagnostics: [{ ...diagnosticAt(doc, at, slothSpecMessage(value)), path: "" }],
    });
  },
};

function experimentSummary(file: string, parsed: Parsed): CheckedDocument {
  const r = experimentFromParsed(file, parsed);
  const s = r.spec;
  return {
    kind: s ? "Experiment" : "unknown",
    valid: !!s && !hasErrors(r.diagnostics),
    summary: s
      ? `valid ${s.flavour === "native" ? "withstand Experiment" : "Chaos Toolkit experiment"} "${s.title}" (${s.hypothesis?.probes.length ?? 0} hypothesis probes, ${s.method.length} method activities, ${s.rollbacks.length} rollbacks)`
      : "",
    diagnostics: r.diagnostics,
  };
}

const experiment: DocumentKindEntry = {
  name: "Experiment",
  title: "withstand Experiment",
  schema: SCHEMAS.Experiment,
  matches: native("Experiment"),
  check: experimentSummary,
};

const chaosToolkit: DocumentKindEntry = {
  name: "chaostoolkit",
  title: "Chaos Toolkit experiment (other keys allowed, as Chaos Toolkit ignores them)",
  schema: SCHEMAS.chaostoolkit,
  matches: () => true,
  check: experimentSummary,
};

/** Every document kind withstand reads, most specific first: the one registry. */
export const DOCUMENT_KINDS: readonly DocumentKindEntry[] = [
  experiment,
  loadTest,
  synthetic,
  heartbeat,
  lab,
  riskCatalog,
  gameDay,
  rollout,
  analysisTemplates,
  openSlo,
  // Before the Gossfile: a Sloth spec's top-level `service:` is also a Goss resource type.
  slothSpec,
  gossfile,
  flagFileKind,
  foreign,
  chaosToolkit,
];

/** The kinds `withstand schema` exports, by name. */
export const SCHEMA_KINDS = DOCUMENT_KINDS.filter(
  (k): k is DocumentKindEntry & { schema: z.ZodType } => k.schema !== undefined,
);

/** The JSON Schema (draft-07, which editors' YAML servers read) of a document kind, by its name. */
export function jsonSchemaOf(name: string): Record<string, unknown> | undefined {
  const kind = SCHEMA_KINDS.find((k) => k.name === name);
  return kind ? toJsonSchema(kind.schema, kind.title, kind.name) : undefined;
}

/** The registry entry that reads these documents. */
export function kindOf(docs: readonly SourceDoc[]): DocumentKindEntry {
  // OpenSLO's own examples are a top-level YAML list of documents.
  const top = docs[0]?.value;
  const first = Array.isArray(top) ? top[0] : top;
  const all = docs.flatMap((d) => (Array.isArray(d.value) ? d.value : [d.value]));
  return (isRecord(first) && DOCUMENT_KINDS.find((k) => k.matches(first, all))) || chaosToolkit;
}

/** Checks parsed documents with the reader of their kind. Never throws for bad input. */
export function checkParsed(
  file: string,
  parsed: Parsed,
  ctx: CheckContext = { others: [] },
): CheckedDocument {
  const kind = kindOf(parsed.docs);
  const result = kind.check(file, parsed, ctx);
  return result.valid ? crossCheck(result, parsed.docs) : result;
}

/** Parses a document's text once and checks it with the reader of its kind. Never throws for bad input. */
export function checkDocument(file: string, text: string, ctx?: CheckContext): CheckedDocument {
  return checkParsed(file, parseSource(file, text), ctx);
}

/** The schema a single document of a checked kind must fit (a Rollout file may also hold templates). */
function structureOf(kind: string, value: unknown): z.ZodType | undefined {
  if (isTemplate(value)) return SCHEMAS.AnalysisTemplate;
  if (!isRecord(value)) return undefined;
  // An experiment's reader checks it with the very schema `withstand schema` exports.
  if (kind === "Experiment") return undefined;
  if (kind in NATIVE_KINDS) return native(kind)(value) ? SCHEMAS[kind as keyof typeof SCHEMAS] : undefined;
  return undefined;
}

/**
 * A document its reader accepts must also fit the JSON Schema `withstand schema` gives editors, so
 * the two can never disagree silently: a mismatch is reported like any other problem.
 */
function crossCheck(result: CheckedDocument, docs: SourceDoc[]): CheckedDocument {
  const diagnostics: Diagnostic[] = [];
  for (const doc of docs) {
    const values = Array.isArray(doc.value) ? doc.value : [doc.value];
    values.forEach((value, i) => {
      const schema = structureOf(result.kind, value);
      if (!schema) return;
      const base = Array.isArray(doc.value) ? [i] : [];
      check(schema, value, base, {
        deferVars: true,
        strict: true,
        error: (path, message, onKey) => diagnostics.push(diagnosticAt(doc, path, message, "error", onKey)),
        warn: (path, message, onKey) => diagnostics.push(diagnosticAt(doc, path, message, "warning", onKey)),
      });
    });
  }
  if (diagnostics.length === 0) return result;
  return { ...result, valid: false, diagnostics: [...result.diagnostics, ...diagnostics] };
}
