import { checkFlagFile, FLAG_FILE_SCHEMA, type FlagFile, isFlagFile } from "../flags/schema.js";
import type { Diagnostic } from "./diagnostic.js";
import { diagnosticAt, parseSource, type SourceDoc } from "./source.js";

/** A flagd flag file's problems at file:line:col, and its flags (every `$ref` expanded) when usable. */
export function readFlagDoc(doc: SourceDoc): { flags?: FlagFile; diagnostics: Diagnostic[] } {
  const r = checkFlagFile(doc.value);
  const diagnostics = r.issues.map((i) => diagnosticAt(doc, i.path, i.message, i.severity, i.onKey ?? false));
  return r.file ? { flags: r.file, diagnostics } : { diagnostics };
}

/** Parses and checks a flag file's text (JSON or YAML), as `flags serve` does on every reload. */
export function readFlagText(file: string, text: string): { flags?: FlagFile; diagnostics: Diagnostic[] } {
  // A JSON file without a problem needs no positions: JSON.parse reads it in linear time, where the YAML
  // parser's flow collections are quadratic (a 30,000-bucket fractional took 20 s). Any problem, and a
  // duplicate key (JSON.parse keeps the last one silently), goes the YAML way, which places each one.
  const fast = readPlainJson(text);
  if (fast !== undefined) {
    const r = checkFlagFile(fast);
    if (r.file && r.issues.length === 0) return { flags: r.file, diagnostics: [] };
  }
  const parsed = parseSource(file, text);
  if (parsed.diagnostics.some((d) => d.severity === "error")) return { diagnostics: parsed.diagnostics };
  const doc = parsed.docs[0];
  if (!doc)
    return {
      diagnostics: [
        ...parsed.diagnostics,
        {
          file,
          line: 1,
          col: 1,
          path: "",
          message: "empty file (expected a flagd flag file: flags)",
          severity: "error",
        },
      ],
    };
  const r = readFlagDoc(doc);
  return { ...r, diagnostics: [...parsed.diagnostics, ...r.diagnostics] };
}

/** flagd flag-definition files, for `withstand validate`. */
export const flagFileKind = {
  name: "flagd",
  title: "flagd flag definitions (flags as a mapping or flagd's list form)",
  schema: FLAG_FILE_SCHEMA,
  matches: (first: Record<string, unknown>) => isFlagFile(first),
  check(_file: string, parsed: { docs: SourceDoc[]; diagnostics: Diagnostic[] }) {
    const r = readFlagDoc(parsed.docs[0] as SourceDoc);
    const diagnostics = [...parsed.diagnostics, ...r.diagnostics];
    const n = r.flags ? Object.keys(r.flags.flags).length : 0;
    return {
      kind: "flagd",
      valid: r.flags !== undefined && !diagnostics.some((d) => d.severity === "error"),
      summary: r.flags
        ? `valid flagd flag definitions (${n} flag${n === 1 ? "" : "s"}: ${Object.keys(r.flags.flags).join(", ")})`
        : "",
      diagnostics,
    };
  },
};

/** The errors among a flag file's diagnostics by path and message, without positions (for reloads). */
export function flagErrors(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.filter((d) => d.severity === "error").map((d) => `${d.path}: ${d.message}`);
}

/** The value of a JSON text whose objects have no key twice; undefined for anything else (YAML, broken JSON). */
function readPlainJson(text: string): unknown {
  const t = text.trimStart();
  if (!t.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // One pass over the tokens, with the keys seen in each open object (the text is valid JSON here).
  const token = /"(?:[^"\\]|\\.)*"|[{}[\],:]/g;
  const stack: (Set<string> | undefined)[] = [];
  let last = "";
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const tok = m[0];
    if (tok === "{") stack.push(new Set());
    else if (tok === "[") stack.push(undefined);
    else if (tok === "}" || tok === "]") stack.pop();
    else if (tok === ":") {
      const keys = stack[stack.length - 1];
      if (keys) {
        const key = JSON.parse(last) as string;
        if (keys.has(key)) return undefined;
        keys.add(key);
      }
    }
    last = tok;
  }
  return value;
}
