import { compileGoRegExp } from "./go-regexp.js";

/**
 * The Sprig functions (Masterminds/sprig v3, which Goss adds to every template) that do not touch the
 * system, with Sprig's argument order: the piped value is the last argument (`"ab" | repeat 3`).
 * Pure. `env`/`expandenv` (the environment) and the digests are passed in by checks/gossfile.
 */
type Fn = (...args: unknown[]) => unknown;

const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));
const num = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};
const int = (v: unknown): number => Math.trunc(num(v));
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const dict = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const truthy = (v: unknown): boolean =>
  !(
    v === null ||
    v === undefined ||
    v === false ||
    v === 0 ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && Object.keys(v).length === 0)
  );
const words = (s: string): string[] =>
  s
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
/** Go's path.Clean, for base/dir/clean. */
function clean(p: string): string {
  if (p === "") return ".";
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out.at(-1) !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return abs ? `/${joined}` : joined || ".";
}
const equal = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export const SPRIG: Record<string, Fn> = {
  // strings
  repeat: (n, s) => str(s).repeat(Math.max(0, int(n))),
  trunc: (n, s) => {
    const t = str(s);
    const c = int(n);
    return c >= 0 ? t.slice(0, c) : t.slice(Math.max(0, t.length + c));
  },
  abbrev: (n, s) => {
    const t = str(s);
    const w = int(n);
    return w < 4 || t.length <= w ? t : `${t.slice(0, w - 3)}...`;
  },
  substr: (start, end, s) => {
    const t = str(s);
    const a = int(start);
    const b = int(end);
    return a < 0 ? t.slice(0, b) : b < 0 || b > t.length ? t.slice(a) : t.slice(a, b);
  },
  nospace: (s) => str(s).replace(/\s+/g, ""),
  trimAll: (chars, s) => {
    const set = new Set(str(chars));
    const t = [...str(s)];
    let a = 0;
    let b = t.length;
    while (a < b && set.has(t[a] ?? "")) a++;
    while (b > a && set.has(t[b - 1] ?? "")) b--;
    return t.slice(a, b).join("");
  },
  title: (s) =>
    str(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()),
  untitle: (s) => str(s).replace(/(^|\s)(\p{L})/gu, (_m, p: string, c: string) => p + c.toLowerCase()),
  swapcase: (s) =>
    [...str(s)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""),
  initials: (s) =>
    str(s)
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w[0])
      .join(""),
  snakecase: (s) => words(str(s)).join("_").toLowerCase(),
  kebabcase: (s) => words(str(s)).join("-").toLowerCase(),
  camelcase: (s) =>
    str(s)
      .split("_")
      .map((w) => (w ? (w[0] ?? "").toUpperCase() + w.slice(1) : w))
      .join(""),
  cat: (...xs) =>
    xs
      .filter((x) => x !== null && x !== undefined)
      .map(str)
      .join(" "),
  indent: (n, s) => {
    const pad = " ".repeat(Math.max(0, int(n)));
    return pad + str(s).replace(/\n/g, `\n${pad}`);
  },
  nindent: (n, s) => {
    const pad = " ".repeat(Math.max(0, int(n)));
    return `\n${pad}${str(s).replace(/\n/g, `\n${pad}`)}`;
  },
  wrap: (n, s) => wrapWith(int(n), "\n", str(s)),
  wrapWith: (n, sep, s) => wrapWith(int(n), str(sep), str(s)),
  plural: (one, many, count) => (int(count) === 1 ? str(one) : str(many)),
  splitn: (sep, n, s) => Object.fromEntries(splitN(str(s), str(sep), int(n)).map((p, i) => [`_${i}`, p])),
  toStrings: (v) => list(v).map(str),
  // encodings and digests
  b64enc: (s) => Buffer.from(str(s)).toString("base64"),
  b64dec: (s) => Buffer.from(str(s), "base64").toString("utf8"),
  b32enc: (s) => base32(Buffer.from(str(s))),
  toPrettyJson: (v) => JSON.stringify(v, null, 2),
  toRawJson: (v) => JSON.stringify(v),
  fromJson: (s) => {
    try {
      return JSON.parse(str(s)) as unknown;
    } catch {
      return {};
    }
  },
  // numbers
  int64: (v) => int(v),
  float64: (v) => num(v),
  add1: (v) => int(v) + 1,
  mul: (...xs) => xs.reduce<number>((a, b) => a * int(b), 1),
  div: (a, b) => Math.trunc(int(a) / int(b)),
  mod: (a, b) => int(a) % int(b),
  max: (...xs) => Math.max(...xs.map(int)),
  min: (...xs) => Math.min(...xs.map(int)),
  floor: (v) => Math.floor(num(v)),
  ceil: (v) => Math.ceil(num(v)),
  round: (v, places) => {
    const f = 10 ** int(places);
    return Math.round(num(v) * f) / f;
  },
  until: (n) => Array.from({ length: Math.max(0, int(n)) }, (_, i) => i),
  untilStep: (start, stop, step) => {
    const out: number[] = [];
    const s = int(step);
    if (s === 0) return out;
    for (let i = int(start); s > 0 ? i < int(stop) : i > int(stop); i += s) out.push(i);
    return out;
  },
  seq: (...xs) => {
    const [a, b, c] = xs.map(int);
    const [start, end, step] =
      xs.length === 1 ? [1, a ?? 0, 1] : xs.length === 2 ? [a ?? 0, b ?? 0, 1] : [a ?? 0, c ?? 0, b ?? 1];
    const out: number[] = [];
    if (step === 0) return "";
    for (let i = start; step > 0 ? i <= end : i >= end; i += step) out.push(i);
    return out.join(" ");
  },
  // lists
  first: (l) => list(l)[0],
  last: (l) => list(l).at(-1),
  rest: (l) => list(l).slice(1),
  initial: (l) => list(l).slice(0, -1),
  append: (l, v) => [...list(l), v],
  push: (l, v) => [...list(l), v],
  prepend: (l, v) => [v, ...list(l)],
  concat: (...ls) => ls.flatMap(list),
  reverse: (l) => [...list(l)].reverse(),
  uniq: (l) => list(l).filter((x, i, all) => all.findIndex((y) => equal(x, y)) === i),
  without: (l, ...xs) => list(l).filter((x) => !xs.some((y) => equal(x, y))),
  has: (v, l) => list(l).some((x) => equal(x, v)),
  compact: (l) => list(l).filter(truthy),
  slice: (l, ...ix) => list(l).slice(int(ix[0]), ix.length > 1 ? int(ix[1]) : undefined),
  sortAlpha: (l) => list(l).map(str).sort(),
  // dictionaries
  keys: (...ds) => ds.flatMap((d) => Object.keys(dict(d))),
  values: (d) => Object.values(dict(d)),
  hasKey: (d, k) => Object.hasOwn(dict(d), str(k)),
  get: (d, k) => (Object.hasOwn(dict(d), str(k)) ? dict(d)[str(k)] : ""),
  set: (d, k, v) => Object.assign(dict(d), { [str(k)]: v }),
  unset: (d, k) => {
    const o = dict(d);
    delete o[str(k)];
    return o;
  },
  pick: (d, ...ks) => Object.fromEntries(Object.entries(dict(d)).filter(([k]) => ks.map(str).includes(k))),
  omit: (d, ...ks) => Object.fromEntries(Object.entries(dict(d)).filter(([k]) => !ks.map(str).includes(k))),
  pluck: (k, ...ds) =>
    ds
      .map(dict)
      .filter((d) => Object.hasOwn(d, str(k)))
      .map((d) => d[str(k)]),
  // flow and types
  ternary: (a, b, cond) => (cond === true ? a : b),
  coalesce: (...xs) => xs.find(truthy),
  all: (...xs) => xs.every(truthy),
  any: (...xs) => xs.some(truthy),
  fail: (msg) => {
    throw new Error(str(msg));
  },
  required: (msg, v) => {
    if (v === null || v === undefined) throw new Error(str(msg));
    return v;
  },
  kindOf: (v) => goKind(v),
  kindIs: (k, v) => goKind(v) === str(k),
  deepEqual: (a, b) => equal(a, b),
  // regular expressions (Go's RE2)
  regexFind: (re, s) => compileGoRegExp(str(re)).exec(str(s))?.[0] ?? "",
  regexFindAll: (re, s, n) => findAll(str(re), str(s), int(n)),
  regexReplaceAll: (re, s, repl) => replaceAll(str(re), str(s), str(repl), false),
  regexReplaceAllLiteral: (re, s, repl) => replaceAll(str(re), str(s), str(repl), true),
  regexSplit: (re, s, n) => {
    const text = str(s);
    const cuts = findAllAt(str(re), text, -1);
    const out: string[] = [];
    let at = 0;
    for (const [a, b] of cuts) {
      if (int(n) >= 0 && out.length === int(n) - 1) break;
      out.push(text.slice(at, a));
      at = b;
    }
    out.push(text.slice(at));
    return int(n) === 0 ? [] : out;
  },
  regexQuoteMeta: (s) => str(s).replace(/[\\.+*?()|[\]{}^$]/g, "\\$&"),
  // paths (Go's path package)
  base: (p) => {
    const c = clean(str(p));
    return c === "/" ? "/" : (c.split("/").at(-1) ?? ".");
  },
  dir: (p) => {
    const c = clean(str(p));
    const i = c.lastIndexOf("/");
    return i < 0 ? "." : i === 0 ? "/" : c.slice(0, i);
  },
  ext: (p) => {
    const s = str(p);
    const m = /\.[^./]*$/.exec(s);
    return m ? m[0] : "";
  },
  clean: (p) => clean(str(p)),
  isAbs: (p) => str(p).startsWith("/"),
};

function goKind(v: unknown): string {
  if (v === null || v === undefined) return "invalid";
  if (Array.isArray(v)) return "slice";
  if (typeof v === "object") return "map";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (typeof v === "boolean") return "bool";
  return "string";
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  if (n < 0 || parts.length <= n) return n === 0 ? [] : parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function wrapWith(n: number, sep: string, s: string): string {
  const out: string[] = [];
  let line = "";
  for (const w of s.split(/ +/)) {
    if (line && line.length + 1 + w.length > n) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join(sep);
}

/** Every non-overlapping match's [start, end), leftmost first, at most n (all when n < 0). */
function findAllAt(re: string, s: string, n: number): [number, number][] {
  const r = compileGoRegExp(re);
  const out: [number, number][] = [];
  let from = 0;
  while (from <= s.length && (n < 0 || out.length < n)) {
    const at = r.execAt(s, from);
    if (!at) break;
    out.push(at);
    from = at[1] > at[0] ? at[1] : at[1] + 1;
  }
  return out;
}

function findAll(re: string, s: string, n: number): string[] {
  return findAllAt(re, s, n).map(([a, b]) => s.slice(a, b));
}

function replaceAll(re: string, s: string, repl: string, literal: boolean): string {
  const r = compileGoRegExp(re);
  let out = "";
  let at = 0;
  for (const [a, b] of findAllAt(re, s, -1)) {
    const groups = r.exec(s.slice(a, b)) ?? [];
    out +=
      s.slice(at, a) +
      (literal
        ? repl
        : repl.replace(/\$(\{(\w+)\}|(\d+))/g, (_m, _w, named: string | undefined, d: string | undefined) => {
            const i =
              named !== undefined ? (/^\d+$/.test(named) ? Number(named) : r.names[named]) : Number(d);
            return i === undefined ? "" : (groups[i] ?? "");
          }));
    at = b;
  }
  return out + s.slice(at);
}

function base32(buf: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}
