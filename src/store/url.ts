import { WithstandError } from "../core/errors.js";
import { storePath } from "./sqlite.js";

/**
 * The one place a store location is read: a file path (or `sqlite:`/`file:` URL) names a SQLite file,
 * `postgres://` / `postgresql://` a PostgreSQL server. Every message, start-up line and JSON field shows
 * a store through `describeStoreLocation`/`redactStoreUrl`, never the text as given: a password in the
 * user info (even one holding an unencoded `@`) or in a `password` query parameter is never printed.
 */
export type StoreLocation =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string; connectionString: string; schema: string | undefined }
  | { kind: "unknown"; scheme: string; url: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** Query parameters that carry a secret (libpq's `password` and `sslpassword`). */
const SECRET_PARAM = /^(ssl)?pass(word)?$/i;

/** Whether the text is a URL (`scheme://`) rather than a file path. */
function schemeOf(given: string): string | undefined {
  return SCHEME.exec(given)?.[1]?.toLowerCase();
}

/**
 * A URL as shown to a person: the password of its user info and of any `password` parameter become
 * `***`. The user info ends at the LAST `@` before the query, so a password holding an unencoded `@`
 * (or `/`) is hidden whole: it is better to hide too much than a piece of a password.
 */
export function redactStoreUrl(url: string): string {
  const m = SCHEME.exec(url);
  if (!m) return url;
  const head = m[0];
  const rest = url.slice(head.length);
  const q = rest.search(/[?#]/);
  let beforeQuery = q < 0 ? rest : rest.slice(0, q);
  let query = q < 0 ? "" : rest.slice(q);
  const at = beforeQuery.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = beforeQuery.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) beforeQuery = `${userinfo.slice(0, colon)}:***${beforeQuery.slice(at)}`;
  }
  query = query.replace(/([?&])([^=&#]*)=([^&#]*)/g, (all, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // A malformed name is compared as written.
    }
    return SECRET_PARAM.test(decoded) ? `${sep}${name}=***` : all;
  });
  return `${head}${beforeQuery}${query}`;
}

/**
 * The file a `sqlite:` or `file:` URL names, as SQLite's URI filenames and SQLAlchemy spell it:
 * `sqlite:/abs/s.db` and `sqlite:///abs/s.db` are absolute, `sqlite:rel.db` relative, and
 * `sqlite://localhost/abs` names the local host. Never a file literally named `sqlite:...`.
 * Undefined when the text is no such URL.
 */
function sqliteFile(text: string): string | undefined {
  const m = /^(sqlite3?|file):/i.exec(text);
  if (!m) return undefined;
  let rest = text.slice(m[0].length).replace(/[?#].*$/s, "");
  if (rest.startsWith("//")) {
    // `//AUTHORITY/path`: an empty authority or localhost is this machine; another host is not a file.
    const slash = rest.indexOf("/", 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== "" && host.toLowerCase() !== "localhost") {
      // `sqlite://store.db` (no path after it) is what people write for a relative file.
      if (slash < 0) rest = host;
      else
        throw new WithstandError(
          "WS_STORE_URL",
          `${m[1]}://${host}/...: a SQLite store is a file on this machine (expected ${m[1]}:/abs/path.db, ${m[1]}:///abs/path.db or ${m[1]}:relative.db)`,
        );
    } else rest = slash < 0 ? "" : rest.slice(slash);
  }
  let path = rest;
  try {
    path = decodeURIComponent(rest);
  } catch {
    // Not percent-encoded: taken as typed.
  }
  if (path === "" || path === "/")
    throw new WithstandError(
      "WS_STORE_URL",
      `${m[1]}: names no file (expected ${m[1]}:/abs/path.db or ${m[1]}:relative.db)`,
    );
  if (path === ":memory:")
    throw new WithstandError(
      "WS_STORE_URL",
      `${m[1]}::memory: would lose every run (expected a file, e.g. ${m[1]}:/abs/path.db)`,
    );
  return path;
}

/**
 * Reads a `--store` value (or WITHSTAND_STORE). A PostgreSQL URL whose password holds reserved
 * characters unencoded (`@`, `/`, `#`, `?`) is re-encoded here, so the driver connects with the
 * password as typed instead of taking part of it for the host.
 */
export function parseStoreLocation(given: string | undefined): StoreLocation {
  const text = given ?? process.env.WITHSTAND_STORE;
  const file = text === undefined ? undefined : sqliteFile(text);
  if (file !== undefined) return { kind: "sqlite", path: storePath(file) };
  const scheme = text === undefined ? undefined : schemeOf(text);
  if (text === undefined || scheme === undefined) return { kind: "sqlite", path: storePath(text) };
  if (scheme !== "postgres" && scheme !== "postgresql")
    return { kind: "unknown", scheme, url: redactStoreUrl(text) };
  const u = new URL(encodeUserinfo(text));
  const schema = u.searchParams.get("schema") ?? undefined;
  u.searchParams.delete("schema");
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/i.test(schema))
    throw new Error(`schema ${JSON.stringify(schema)}: expected letters, digits and _`);
  return { kind: "postgres", url: redactStoreUrl(text), connectionString: u.toString(), schema };
}

/** The user info of `scheme://user:pass@host...` percent-encoded, split at the last `@` before the query. */
function encodeUserinfo(url: string): string {
  const m = SCHEME.exec(url);
  if (!m) return url;
  const rest = url.slice(m[0].length);
  const q = rest.search(/[?#]/);
  const authorityAndPath = q < 0 ? rest : rest.slice(0, q);
  const at = authorityAndPath.lastIndexOf("@");
  if (at < 0) return url;
  const userinfo = authorityAndPath.slice(0, at);
  const colon = userinfo.indexOf(":");
  const enc = (s: string) => {
    let plain = s;
    try {
      plain = decodeURIComponent(s);
    } catch {
      // Not percent-encoded: taken as typed.
    }
    return encodeURIComponent(plain);
  };
  const encoded =
    colon < 0 ? enc(userinfo) : `${enc(userinfo.slice(0, colon))}:${enc(userinfo.slice(colon + 1))}`;
  return `${m[0]}${encoded}${rest.slice(at)}`;
}

/** A store as named in messages: `SQLite /path/store.db` or `PostgreSQL postgres://ws:***@db/x`. */
export function describeStoreLocation(given: string | undefined): string {
  try {
    const loc = parseStoreLocation(given);
    if (loc.kind === "sqlite") return `SQLite ${loc.path}`;
    return loc.kind === "postgres" ? `PostgreSQL ${loc.url}` : loc.url;
  } catch {
    return redactStoreUrl(given ?? process.env.WITHSTAND_STORE ?? "");
  }
}

/** The secrets a store URL holds (its password, as written and decoded): hidden from driver messages. */
export function storeUrlSecrets(url: string): string[] {
  const m = SCHEME.exec(url);
  if (!m) return [];
  const rest = url.slice(m[0].length);
  const q = rest.search(/[?#]/);
  const before = q < 0 ? rest : rest.slice(0, q);
  const found: string[] = [];
  const at = before.lastIndexOf("@");
  const colon = at < 0 ? -1 : before.slice(0, at).indexOf(":");
  if (colon >= 0) found.push(before.slice(colon + 1, at));
  for (const [, name = "", value = ""] of (q < 0 ? "" : rest.slice(q)).matchAll(/[?&]([^=&#]*)=([^&#]*)/g))
    if (SECRET_PARAM.test(name)) found.push(value);
  const decoded = found.map((s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  });
  return [...new Set([...found, ...decoded])].filter((s) => s.length > 0);
}

/** `text` with every secret of the store URL replaced by `***`. */
export function scrubStoreSecrets(text: string, url: string): string {
  let out = text;
  for (const secret of storeUrlSecrets(url).sort((a, b) => b.length - a.length))
    out = out.split(secret).join("***");
  return out;
}
