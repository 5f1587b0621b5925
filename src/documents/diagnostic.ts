import { type ErrorCode, WithstandError } from "../core/errors.js";
/** One diagnostic per problem; specs collect them all instead of stopping at the first. */
export type Severity = "error" | "warning";

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** Dotted path to the offending field, e.g. `method[2].provider.url`. */
  path: string;
  message: string;
  severity: Severity;
  /** Set where a reader knows it; otherwise `diagnosticCode` tells it from the message. */
  code?: ErrorCode;
}

/**
 * The stable code of a diagnostic (in `validate --json`): the reader's own if it set one, else told
 * from the shape every reader's messages share (one place, so readers need not pass codes around).
 */
export function diagnosticCode(d: Diagnostic): ErrorCode {
  if (d.code !== undefined) return d.code;
  if (d.message.startsWith("cannot read")) return "WS_DOC_UNREADABLE";
  if (d.message.startsWith("syntax error")) return "WS_DOC_SYNTAX";
  if (d.message.startsWith("unknown key")) return "WS_DOC_UNKNOWN_KEY";
  if (/\bis required\b|^missing\b/.test(d.message)) return "WS_DOC_MISSING";
  if (/^got .*\(expected /.test(d.message)) return "WS_DOC_TYPE";
  return "WS_DOC_VALUE";
}

/** Control characters from a document (a key with ESC or CR) are shown escaped, never sent to the terminal. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A diagnostic about the file as a whole (it cannot be read, parsed or is empty), at 1:1. */
export function fileDiagnostic(file: string, message: string, severity: Severity = "error"): Diagnostic {
  return { file, line: 1, col: 1, path: "", message, severity };
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === "" ? "" : `${d.path}: `;
  const level = d.severity === "warning" ? "warning: " : "";
  return printable(`${d.file}:${d.line}:${d.col}: ${level}${where}${d.message}`);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** A user-facing error that carries diagnostics; the CLI prints them and exits 2. */
export class SpecError extends WithstandError {
  constructor(
    readonly diagnostics: Diagnostic[],
    options?: { cause?: unknown },
  ) {
    super("WS_DOC_INVALID", diagnostics.map(formatDiagnostic).join("\n"), 2, options);
    this.name = "SpecError";
  }
}
