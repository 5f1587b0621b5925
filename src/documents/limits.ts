import { type Diagnostic, fileDiagnostic } from "./diagnostic.js";

/**
 * Limits checked on a document's text before it is parsed, so that no input can crash or stall a
 * reader: a 2 KB file of 1,000 nested `[` used to overflow the parser's stack and abort V8 (exit
 * 134), and a 10 MB document took 25 s and 2.7 GB. Alias expansion is bounded by the parser itself
 * (maxAliasCount). WITHSTAND_MAX_DOCUMENT_BYTES raises the size limit.
 */
export const MAX_DEPTH = 64;
const DEFAULT_MAX_BYTES = 1024 * 1024;

export function maxDocumentBytes(): number {
  const env = Number(process.env.WITHSTAND_MAX_DOCUMENT_BYTES);
  return Number.isInteger(env) && env > 0 ? env : DEFAULT_MAX_BYTES;
}

function at(file: string, text: string, offset: number, message: string): Diagnostic {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const col = offset - before.lastIndexOf("\n");
  return { file, line, col, path: "", message, severity: "error" };
}

export function tooLarge(file: string, bytes: number): Diagnostic {
  return fileDiagnostic(
    file,
    `is ${bytes} bytes, over the limit of ${maxDocumentBytes()} bytes (WITHSTAND_MAX_DOCUMENT_BYTES raises it)`,
  );
}

/**
 * The first place where flow collections (`[`, `{`) or block sequences (`- - -` on one line, or
 * indentation) nest deeper than MAX_DEPTH. Quoted strings and comments are skipped, so brackets
 * inside them do not count. An over-estimate is fine: real documents nest a dozen levels at most.
 */
export function checkDepth(file: string, text: string): Diagnostic | undefined {
  let flow = 0;
  let quote: string | undefined;
  let lineStart = true;
  let indent = 0;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      else if (ch === "\n") lineStart = true;
      continue;
    }
    if (ch === "\n") {
      lineStart = true;
      indent = 0;
      dashes = 0;
      continue;
    }
    if (lineStart) {
      if (ch === " ") {
        indent++;
        if (indent / 2 > MAX_DEPTH * 2)
          return at(
            file,
            text,
            i,
            `indented deeper than ${MAX_DEPTH * 2} levels (expected a document nested at most ${MAX_DEPTH} deep)`,
          );
        continue;
      }
      if ((ch === "-" || ch === "?") && (text[i + 1] === " " || text[i + 1] === "\n")) {
        if (++dashes > MAX_DEPTH)
          return at(
            file,
            text,
            i,
            `block sequences nest deeper than ${MAX_DEPTH} levels (expected at most ${MAX_DEPTH})`,
          );
        continue;
      }
      lineStart = false;
    }
    if (ch === "#" && (i === 0 || /\s/.test(text[i - 1] ?? " "))) {
      while (i < text.length && text[i] !== "\n") i++;
      i--;
    } else if (ch === '"' || (ch === "'" && (i === 0 || /[\s[{,:]/.test(text[i - 1] ?? " ")))) quote = ch;
    else if (ch === "[" || ch === "{") {
      if (++flow > MAX_DEPTH)
        return at(
          file,
          text,
          i,
          `nests deeper than ${MAX_DEPTH} levels (expected a document nested at most ${MAX_DEPTH} deep)`,
        );
    } else if ((ch === "]" || ch === "}") && flow > 0) flow--;
  }
  return undefined;
}
