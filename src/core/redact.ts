/**
 * Redaction of secret values from everything that leaves the process (journal, store, events, reports,
 * stderr). A secret comes back in many encodings: as written, URL-encoded (encodeURIComponent, encodeURI
 * and the URL parser's own form for user info, path, query and fragment), form-encoded (`+` for spaces), JSON-escaped inside a string, and base64-encoded inside HTTP basic auth (where it is only
 * part of the encoded `user:password`). Each of these is replaced.
 */
const MIN_LENGTH = 3;

/** The forms the WHATWG URL parser gives a value in each component (each has its own encode set). */
function urlForms(secret: string): string[] {
  const url = new URL("http://h/");
  url.username = secret;
  url.password = secret;
  const forms = [url.username, url.password];
  url.pathname = `/${secret}`;
  forms.push(url.pathname.slice(1));
  url.search = `?${secret}`;
  forms.push(url.search.slice(1));
  url.hash = `#${secret}`;
  forms.push(url.hash.slice(1));
  return forms;
}

function variants(secret: string): string[] {
  const out = new Set([
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    new URLSearchParams({ x: secret }).toString().slice(2),
    ...urlForms(secret),
  ]);
  out.add(JSON.stringify(secret).slice(1, -1));
  out.add(Buffer.from(secret, "utf8").toString("base64").replace(/=+$/, ""));
  return [...out].filter((v) => v.length >= MIN_LENGTH);
}

/** A base64 token (basic auth and the like) whose decoded text holds a secret is itself a secret. */
const BASE64_TOKEN = /[A-Za-z0-9+/]{8,}={0,2}/g;

function decodesToSecret(token: string, secrets: readonly string[]): boolean {
  const text = Buffer.from(token, "base64").toString("utf8");
  return secrets.some((s) => text.includes(s));
}

export type Redactor = (text: string) => string;

export function redactor(secrets: readonly string[]): Redactor | undefined {
  const plain = secrets.filter((s) => s.length >= MIN_LENGTH);
  if (plain.length === 0) return undefined;
  const needles = [...new Set(plain.flatMap(variants))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join("***");
    return out.replace(BASE64_TOKEN, (token) => (decodesToSecret(token, plain) ? "***" : token));
  };
}

/** Replaces every occurrence of a secret value, in any encoding above, inside any string of a JSON-like value. */
export function redact<T>(value: T, secrets: readonly string[]): T {
  const scrub = redactor(secrets);
  if (!scrub) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  return walk(value) as T;
}
