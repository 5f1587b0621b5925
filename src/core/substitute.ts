/**
 * CTK-compatible `${name}` substitution: names resolve from configuration first, then secrets.
 * A string that is exactly "${x}" keeps the value's type; inside longer text the value is stringified.
 * Unknown names are left as they are, as CTK does.
 */
export type Scope = Readonly<Record<string, unknown>>;

const WHOLE = /^\$\{([A-Za-z0-9_.-]+)\}$/;
const PART = /\$\{([A-Za-z0-9_.-]+)\}/g;

/** Exact names win; otherwise `saved.status` walks into a saved output. */
function lookup(name: string, scopes: readonly Scope[]): { found: boolean; value?: unknown } {
  for (const scope of scopes) {
    if (Object.hasOwn(scope, name)) return { found: true, value: scope[name] };
  }
  const [head, ...rest] = name.split(".");
  if (head === undefined || rest.length === 0) return { found: false };
  for (const scope of scopes) {
    if (!Object.hasOwn(scope, head)) continue;
    let value: unknown = scope[head];
    for (const key of rest) {
      if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return { found: false };
      value = (value as Record<string, unknown>)[key];
    }
    return { found: true, value };
  }
  return { found: false };
}

export function substitute(value: unknown, scopes: readonly Scope[]): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole?.[1] !== undefined) {
      const hit = lookup(whole[1], scopes);
      return hit.found ? hit.value : value;
    }
    return value.replace(PART, (match, name: string) => {
      const hit = lookup(name, scopes);
      if (!hit.found) return match;
      return typeof hit.value === "string" ? hit.value : JSON.stringify(hit.value);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, scopes));
  if (value && typeof value === "object") {
    // fromEntries defines own properties, so a key such as "__proto__" stays data, never a prototype.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, scopes)]));
  }
  return value;
}

/** Names referenced with ${...} that no scope defines, for warnings. */
export function unresolvedNames(value: unknown, scopes: readonly Scope[]): string[] {
  const missing = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      for (const m of v.matchAll(PART)) {
        const name = m[1];
        if (name !== undefined && !lookup(name, scopes).found) missing.add(name);
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return [...missing];
}
