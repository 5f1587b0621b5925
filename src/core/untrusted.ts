/**
 * Text that came from outside (an observer's note, a document's title, a probe's answer, a pact's
 * description) made safe where it is shown: on a terminal, or in a Markdown report.
 */

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e" };

// C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates that reorder what is shown.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Every control character as a visible escape (`\e`, `\n`, `\x07`, `\u202e`), so the text is one line
 * and a terminal escape sequence in it (colours, a window title, "erase line") is shown, never obeyed.
 */
export function visibleControls(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * Untrusted text for a Markdown report, inline or in a table cell: `&`, `<` and `>` as HTML entities (no
 * raw HTML, no `<script>` or `<img onerror>` when the report is rendered), `|` escaped (a table keeps its
 * columns), line breaks as spaces and other controls as visible escapes (a row stays one row).
 */
export function mdText(text: string): string {
  return visibleControls(text.replace(/\r?\n/g, " "))
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|");
}

/** What `mdText` escaped, back as it was (a renderer that reads our Markdown escapes it its own way). */
export function mdUnescape(md: string): string {
  return md.replace(/&(lt|gt|amp);|\\\|/g, (_m: string, entity?: string) =>
    entity === "lt" ? "<" : entity === "gt" ? ">" : entity === "amp" ? "&" : "|",
  );
}
