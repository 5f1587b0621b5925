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

/** Where a `${name}` sits inside a URL template, which decides how its value is encoded. */
type UrlPart = "before-authority" | "userinfo" | "host" | "path" | "query";

function urlPartAt(template: string, index: number): UrlPart {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(template);
  if (!scheme || index < scheme[0].length) return "before-authority";
  const start = scheme[0].length;
  // Placeholders are masked so that their names never count as delimiters.
  const masked = template.replace(PART, (m) => "x".repeat(m.length));
  const rest = masked.slice(start);
  const authorityEnd = start + (/[/?#]/.exec(rest)?.index ?? rest.length);
  if (index >= authorityEnd) {
    const queryStart = masked.slice(authorityEnd).search(/[?#]/);
    return queryStart >= 0 && index > authorityEnd + queryStart ? "query" : "path";
  }
  const at = template.lastIndexOf("@", authorityEnd - 1);
  return at >= start && index < at ? "userinfo" : "host";
}

/**
 * Substitutes into a URL template with each value encoded for the component it lands in: a value in
 * the user info, query or fragment is percent-encoded as a URI component (so `@ / : ? # % & +` in a
 * secret stay inside it and never spill into the host name or another parameter); in the path only `/`
 * is kept; a value that makes up the start of the URL or the host is put in as it is
 * (`${base_url}/health`).
 */
export function substituteUrl(template: string, scopes: readonly Scope[]): unknown {
  if (WHOLE.test(template)) return substitute(template, scopes);
  // Left to right: the part a placeholder lands in is read from the URL as expanded so far, so
  // `${base}/x?t=${token}` knows the token is in the query.
  let out = "";
  let last = 0;
  for (const m of template.matchAll(PART)) {
    const name = m[1] ?? "";
    const index = m.index;
    out += template.slice(last, index);
    last = index + m[0].length;
    const hit = lookup(name, scopes);
    if (!hit.found) {
      out += m[0];
      continue;
    }
    const text = typeof hit.value === "string" ? hit.value : JSON.stringify(hit.value);
    const part = urlPartAt(out + template.slice(index), out.length);
    if (part === "userinfo" || part === "query") out += encodeURIComponent(text);
    else if (part === "path") out += encodeURIComponent(text).replaceAll("%2F", "/");
    else out += text;
  }
  return out + template.slice(last);
}
