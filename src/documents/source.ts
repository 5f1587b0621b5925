import { readFile, stat } from "node:fs/promises";
import { Composer, type Document, isMap, isPair, isScalar, isSeq, type Node, Parser } from "yaml";
import { type Diagnostic, fileDiagnostic, formatPath, type Severity } from "./diagnostic.js";
import { jsonSyntaxError } from "./json-strict.js";
import { checkDepth, maxDocumentBytes, tooLarge } from "./limits.js";

/** 1-based line and column of a character offset in a text. */
export class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }
  pos(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** A parsed document that still knows where every value came from. */
export interface SourceDoc {
  file: string;
  doc: Document.Parsed;
  /** Line and column of an offset, counted on the text itself (yaml's LineCounter misses lines inside flow collections). */
  lines: Lines;
  value: unknown;
}

import type { Path } from "../core/reader.js";

export type { Path };

/** How many syntax errors of one file are shown. */
const MAX_SYNTAX_ERRORS = 50;

/** Whether a file or URL names a JSON file (`.json`, before any query): it is held to strict JSON. */
export function isJsonName(file: string): boolean {
  return /\.json$/i.test(/^https?:\/\//i.test(file) ? file.replace(/[?#].*$/s, "") : file);
}

/**
 * The first place text meant as JSON stops being strict JSON, as a syntax error at file:line:col.
 * Whitespace alone is left to the caller's "empty document".
 */
function strictJson(file: string, text: string, lines: Lines): Diagnostic | undefined {
  if (text.trim() === "") return undefined;
  try {
    JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    return undefined;
  } catch (err) {
    const found = jsonSyntaxError(text) ?? {
      offset: Number(/at position (\d+)/.exec((err as Error).message)?.[1] ?? 0),
      message: (err as Error).message,
    };
    const pos = lines.pos(found.offset);
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: "",
      message: `syntax error: invalid JSON: ${found.message}`,
      severity: "error",
    };
  }
}

/**
 * Parses YAML or JSON text (JSON is read by the YAML 1.2 parser, which keeps positions). Text meant as
 * JSON (`json`, by default a file named `*.json`) must be strict JSON first, as the peers that read the
 * same files (flagd, Chaos Toolkit, the Pact verifiers) refuse a trailing comma, single quotes or a
 * comment that YAML would take.
 */
export function parseSource(
  file: string,
  text: string,
  opts: { uniqueKeys?: boolean; merge?: boolean; json?: boolean } = {},
): { docs: SourceDoc[]; diagnostics: Diagnostic[] } {
  const lines = new Lines(text);
  const diagnostics: Diagnostic[] = [];
  const docs: SourceDoc[] = [];
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxDocumentBytes()) return { docs, diagnostics: [tooLarge(file, bytes)] };
  const deep = checkDepth(file, text);
  if (deep) return { docs, diagnostics: [deep] };
  if (opts.json ?? isJsonName(file)) {
    const bad = strictJson(file, text, lines);
    if (bad) return { docs, diagnostics: [bad] };
  }
  let parsed: Document.Parsed[];
  let stoppedEarly = false;
  try {
    ({ docs: parsed, stoppedEarly } = composeBounded(text, {
      prettyErrors: false,
      // Goss reads a repeated key as the last one wins; withstand's own documents refuse it.
      uniqueKeys: opts.uniqueKeys ?? true,
      // YAML 1.1 merge keys (`<<: *anchor`), which Goss's YAML library resolves.
      merge: opts.merge ?? false,
      // The parser's own warnings (a complex key stringified) go to process warnings, i.e. raw stderr.
      logLevel: "error",
    }));
  } catch (err) {
    diagnostics.push(fileDiagnostic(file, `cannot parse: ${(err as Error).message}`));
    return { docs, diagnostics };
  }
  // The parser can report one error twice at one place (nested unclosed `[`): each is said once, and a
  // garbled file says its first MAX_SYNTAX_ERRORS, not a million lines.
  const said = new Set<string>();
  let syntaxErrors = 0;
  for (const doc of parsed) {
    for (const e of doc.errors) {
      const pos = lines.pos(e.pos[0]);
      const message = e.message.split("\n")[0] ?? e.message;
      const key = `${pos.line}:${pos.col}:${message}`;
      if (said.has(key)) continue;
      said.add(key);
      if (++syntaxErrors > MAX_SYNTAX_ERRORS) continue;
      diagnostics.push({
        file,
        line: pos.line,
        col: pos.col,
        path: "",
        message: `syntax error: ${message}`,
        severity: "error",
      });
    }
    for (const w of doc.warnings) {
      const pos = lines.pos(w.pos[0]);
      diagnostics.push({
        file,
        line: pos.line,
        col: pos.col,
        path: "",
        message: w.message.split("\n")[0] ?? "",
        severity: "warning",
      });
    }
    if (doc.errors.length > 0) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      diagnostics.push(fileDiagnostic(file, `cannot read document: ${(err as Error).message}`));
      continue;
    }
    if (value === null || value === undefined) continue;
    docs.push({ file, doc, lines, value });
  }
  if (stoppedEarly)
    diagnostics.push(
      fileDiagnostic(
        file,
        `stopped reading after ${MAX_SYNTAX_ERRORS} syntax errors (fix the ones above first)`,
      ),
    );
  else if (syntaxErrors > MAX_SYNTAX_ERRORS)
    diagnostics.push(
      fileDiagnostic(
        file,
        `${syntaxErrors - MAX_SYNTAX_ERRORS} more syntax errors not shown (fix the ones above first)`,
      ),
    );
  return { docs, diagnostics };
}

/**
 * parseAllDocuments, but it stops at the (MAX_SYNTAX_ERRORS+1)th syntax error the parser reports: the
 * composer spends seconds per hundred thousand errors, so 1 MB of `[]` pairs took 12-40 s to refuse.
 */
export function composeBounded(
  text: string,
  options: ConstructorParameters<typeof Composer>[0],
): { docs: Document.Parsed[]; stoppedEarly: boolean } {
  let errors = 0;
  let stoppedEarly = false;
  function* tokens() {
    for (const token of new Parser().parse(text)) {
      if (token.type === "error" && ++errors > MAX_SYNTAX_ERRORS) {
        stoppedEarly = true;
        return;
      }
      yield token;
    }
  }
  const docs = Array.from(new Composer(options).compose(tokens())) as Document.Parsed[];
  return { docs, stoppedEarly };
}

export async function readSource(file: string): Promise<string> {
  if (/^https?:\/\//.test(file)) {
    const res = await fetch(file, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > maxDocumentBytes()) throw new Error(tooLarge(file, bytes).message);
    return text;
  }
  // Refuse a huge file before reading it into memory.
  const size = (await stat(file)).size;
  if (size > maxDocumentBytes()) throw new Error(tooLarge(file, size).message);
  return await readFile(file, "utf8");
}

function nodeAt(doc: Document.Parsed, path: Path, wantKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (!pair) return last;
      const isLast = i === path.length - 1;
      if (isLast && wantKey) return pair.key as Node;
      node = pair.value;
      last = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part];
      if (item === undefined) return last;
      node = item;
      last = item as Node;
    } else {
      return last;
    }
  }
  return last;
}

/** Line and column (1-based) of the value at `path`, or of its nearest existing parent. */
export function positionOf(src: SourceDoc, path: Path, key = false): { line: number; col: number } {
  const node = nodeAt(src.doc, path, key);
  const offset = node?.range?.[0] ?? 0;
  const pos = src.lines.pos(offset);
  return { line: pos.line, col: pos.col };
}

export function diagnosticAt(
  src: SourceDoc,
  path: Path,
  message: string,
  severity: Severity = "error",
  key = false,
): Diagnostic {
  const { line, col } = positionOf(src, path, key);
  return { file: src.file, line, col, path: formatPath(path), message, severity };
}

/** The one diagnostic for a file or URL that cannot be read; `expected` says what should have been there. */
export function unreadable(file: string, err: unknown, expected: string): Diagnostic {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (err as Error).message;
  return fileDiagnostic(file, `cannot read: ${why} (expected ${expected})`);
}

/**
 * Reads a file (or URL) holding one native document and hands its first document to `read`; an
 * unreadable, unparsable or empty file becomes one diagnostic that says what was expected.
 */
export async function loadFirstDocument<T extends { diagnostics: Diagnostic[] }>(
  file: string,
  kind: string,
  read: (doc: SourceDoc) => T,
): Promise<T | { diagnostics: Diagnostic[] }> {
  let text: string;
  try {
    text = await readSource(file);
  } catch (err) {
    return { diagnostics: [unreadable(file, err, `a ${kind} file`)] };
  }
  const parsed = parseSource(file, text);
  if (parsed.diagnostics.some((d) => d.severity === "error")) return { diagnostics: parsed.diagnostics };
  const first = parsed.docs[0];
  if (!first)
    return {
      diagnostics: [...parsed.diagnostics, fileDiagnostic(file, `empty document (expected kind: ${kind})`)],
    };
  const result = read(first);
  return { ...result, diagnostics: [...parsed.diagnostics, ...result.diagnostics] };
}
