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
export class SpecError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    options?: { cause?: unknown },
  ) {
    super(diagnostics.map(formatDiagnostic).join("\n"), options);
    this.name = "SpecError";
  }
}
