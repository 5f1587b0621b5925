/** Replaces every occurrence of a secret value inside any string of a JSON-like value. */
export function redact<T>(value: T, secrets: readonly string[]): T {
  const needles = secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  if (needles.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      let out = v;
      for (const needle of needles) out = out.split(needle).join("***");
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  return walk(value) as T;
}
