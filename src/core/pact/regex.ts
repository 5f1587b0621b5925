const regexCache = new Map<string, RegExp>();
/**
 * Pact's regexes match the whole value (Java's `matches`), not a part of it. Leading inline flags
 * (`(?i)`, `(?s)`, which Java and Rust regexes take and JavaScript's do not) become the
 * expression's flags. Throws a SyntaxError for a regex JavaScript cannot compile.
 */
export function fullRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    const inline = /^\(\?([is]+)\)/.exec(pattern);
    const flags = new Set(["s", "u", ...(inline?.[1] ?? "")]);
    const body = inline ? pattern.slice(inline[0].length) : pattern;
    re = new RegExp(`^(?:${body})$`, [...flags].join(""));
    regexCache.set(pattern, re);
  }
  return re;
}
