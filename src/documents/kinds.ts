import { checkTemplates, isTemplate } from "./analysis-template.js";
import { type Diagnostic, hasErrors } from "./diagnostic.js";
import { experimentFromParsed } from "./experiment-file.js";
import { flagFileKind } from "./flag-file.js";
import { readHeartbeat } from "./heartbeat.js";
import { readLoadTest } from "./load-test-file.js";
import { readOpenSlo } from "./openslo.js";
import { check, isRecord } from "./reporter.js";
import { readRolloutDocs } from "./rollout.js";
import { structureOf } from "./schemas.js";
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

/**
 * A kind of document withstand reads: how to recognise it from its content, and how to check it.
 * The first kind that matches reads the file; experiments (native or Chaos Toolkit) are the fallback.
 */
export interface DocumentKindReader {
  name: string;
  matches(first: Record<string, unknown>, all: readonly unknown[]): boolean;
  check(file: string, parsed: Parsed): CheckedDocument;
}

const native = (kind: string) => (v: Record<string, unknown>) =>
  typeof v.apiVersion === "string" && v.apiVersion.startsWith("withstand/") && v.kind === kind;

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
  name: string,
  read: (doc: SourceDoc) => { value?: T | undefined; diagnostics: Diagnostic[] },
  summary: (value: T) => string,
): DocumentKindReader {
  return {
    name,
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

const isNativeRollout = native("Rollout");

/** A Rollout, alone or with the AnalysisTemplates its analyses name, in any order. */
const rollout: DocumentKindReader = {
  name: "Rollout",
  matches: (first, all) =>
    isNativeRollout(first) || (isTemplate(first) && all.some((v) => isRecord(v) && isNativeRollout(v))),
  check(file, parsed) {
    const r = readRolloutDocs(file, parsed.docs);
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
const analysisTemplates: DocumentKindReader = {
  name: "AnalysisTemplate",
  matches: (first) => isTemplate(first),
  check(_file, parsed) {
    const r = checkTemplates(parsed.docs);
    return checked("AnalysisTemplate", parsed, r, `valid Argo AnalysisTemplates (${r.names.join(", ")})`);
  },
};

const openSlo: DocumentKindReader = {
  name: "OpenSLO",
  matches: (v) => typeof v.apiVersion === "string" && v.apiVersion.startsWith("openslo/"),
  check(_file, parsed) {
    const r = readOpenSlo(parsed.docs);
    const others = Object.entries(r.kinds)
      .filter(([k]) => k !== "SLO")
      .map(([k, n]) => `${n} ${k}`);
    const slos = r.slos.length > 0 ? [`${r.slos.length} SLOs: ${r.slos.map((s) => s.name).join(", ")}`] : [];
    return checked("OpenSLO", parsed, r, `valid OpenSLO v1 (${[...slos, ...others].join("; ")})`);
  },
};

const experiment: DocumentKindReader = {
  name: "Experiment",
  matches: () => true,
  check(file, parsed) {
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
  },
};

/** Every document kind `validate` knows, most specific first. */
export const DOCUMENT_KINDS: readonly DocumentKindReader[] = [
  loadTest,
  synthetic,
  heartbeat,
  rollout,
  analysisTemplates,
  openSlo,
  flagFileKind,
  experiment,
];

/** Parses a document's text once and checks it with the reader of its kind. Never throws for bad input. */
export function checkDocument(file: string, text: string): CheckedDocument {
  const parsed = parseSource(file, text);
  // OpenSLO's own examples are a top-level YAML list of documents.
  const top = parsed.docs[0]?.value;
  const first = Array.isArray(top) ? top[0] : top;
  const all = parsed.docs.flatMap((d) => (Array.isArray(d.value) ? d.value : [d.value]));
  const reader = (isRecord(first) && DOCUMENT_KINDS.find((k) => k.matches(first, all))) || experiment;
  const result = reader.check(file, parsed);
  return result.valid ? crossCheck(result, parsed.docs) : result;
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
