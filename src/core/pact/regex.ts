const regexCache = new Map<string, RegExp>();

/** Java's quoting, `\Q...\E` (pact-jvm writes it with Pattern.quote), as escaped literal text. */
function unquote(pattern: string): string {
  if (!pattern.includes("\\Q")) return pattern;
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c !== "\\" || i + 1 >= pattern.length) {
      out += c;
      continue;
    }
    if (pattern[i + 1] !== "Q") {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    const end = pattern.indexOf("\\E", i + 2);
    const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
    out += literal.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    i = end < 0 ? pattern.length : end + 1;
  }
  return out;
}

/**
 * Pact's regexes match the whole value (Java's `matches`), not a part of it. Leading inline flags
 * (`(?i)`, `(?s)`) and `\Q...\E` quoting, which Java regexes take and JavaScript's do not, are
 * translated. Throws a SyntaxError for a regex JavaScript cannot compile.
 */
export function fullRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    const inline = /^\(\?([is]+)\)/.exec(pattern);
    const flags = new Set(["s", "u", ...(inline?.[1] ?? "")]);
    const body = unquote(inline ? pattern.slice(inline[0].length) : pattern);
    re = new RegExp(`^(?:${body})$`, [...flags].join(""));
    regexCache.set(pattern, re);
  }
  return re;
}
