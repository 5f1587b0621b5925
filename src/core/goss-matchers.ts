import { WithstandError } from "./errors.js";
import { compileGoRegExp, type GoRegExp, GoRegExpError } from "./go-regexp.js";
import { satisfiesSemver, semverConstraint } from "./semver.js";

/**
 * Goss's matchers (goss-org/goss resource/gomega.go and matchers/), compiled from a Gossfile value:
 * scalars compare after Goss's transforms (to-string, to-numeric), an array is contain-elements (or,
 * on an output stream, line patterns), and a one-key map names a matcher. Pure.
 */

/** What a resource reports for a property: a plain value, or an output stream read whole. */
export type Actual = unknown;

/** Output streams (stdout, stderr, file contents, http body) are matched by line patterns when the expectation is a list. */
export class Stream {
  constructor(readonly text: string) {}
}

export interface MatchResult {
  ok: boolean;
  /** Goss's gomega-style message: "Expected\n    <string>: a\nto equal\n    <string>: b". */
  message: string;
  actual: unknown;
  expected: unknown;
  /** The transforms applied to the actual value before matching (to-string, to-numeric, to-array, gjson). */
  transforms: string[];
  missing?: unknown[];
  /** The matcher could not be applied at all (Goss reports an Error, not an Expected/got). */
  error?: string;
}

/** Gomega's refusal of a list matcher on an output read as a stream (a `matching` value `as-reader`). */
function notAList(matcher: string, s: Stream): MatchResult {
  const error = `${matcher} matcher expects an array/slice/map.  Got:\n    <string>: ${s.text.trimEnd().replace(/\n/g, "\n    ")}`;
  return { ok: false, message: error, actual: s.text, expected: undefined, transforms: [], error };
}

export type Matcher = (actual: Actual) => MatchResult;

/** A Goss matcher that cannot be parsed. */
export class MatcherSyntaxError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_GOSS_MATCHER", message, 2, options);
    this.name = "MatcherSyntaxError";
  }
}

const MATCHERS = [
  "equal",
  "have-prefix",
  "have-suffix",
  "match-regexp",
  "contain-substring",
  "have-len",
  "have-patterns",
  "have-key",
  "have-key-with-value",
  "contain-element",
  "contain-elements",
  "consist-of",
  "not",
  "and",
  "or",
  "gt",
  "ge",
  "lt",
  "le",
  "semver-constraint",
  "gjson",
] as const;

// ---- transforms (matchers/type_conversion.go) ----

function goString(v: unknown): string {
  if (v instanceof Stream) return v.text;
  if (Array.isArray(v)) return v.map((x) => goString(x)).join("\n");
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function toStringT(v: unknown): { value: string; transformed: boolean } {
  return { value: goString(v), transformed: typeof v !== "string" };
}

function toNumeric(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  const s = v instanceof Stream ? v.text : Array.isArray(v) ? v.map(goString).join("\n") : v;
  if (typeof s !== "string") return undefined;
  const t = s.trim();
  // Go's strconv.ParseFloat: the whole text is a number, or it is an error.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i.test(t)) return undefined;
  return Number(/^[+-]?inf/i.test(t) ? `${t.startsWith("-") ? "-" : ""}Infinity` : t);
}

function toArray(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof Stream) return v.text.split("\n");
  if (typeof v === "string") return v.split("\n");
  return undefined;
}

// ---- formatting (gomega's format.Message) ----

function typeName(v: unknown): string {
  if (v instanceof Stream || typeof v === "string") return "string";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {} | len:" + v.length;
  if (v === null || v === undefined) return "nil";
  return "map[string]interface {}";
}

/** A value as Goss prints it in a failure: JSON, indented four spaces. */
function show(v: unknown): string {
  const raw = v instanceof Stream ? v.text : v;
  return `    ${JSON.stringify(raw) ?? String(raw)}`;
}

function result(
  ok: boolean,
  actual: unknown,
  verb: string,
  expected: unknown,
  transforms: string[] = [],
  missing?: unknown[],
): MatchResult {
  return {
    ok,
    message: `Expected\n${show(actual)}\n${verb}\n${show(expected)}${missing?.length ? `\nthe missing elements were\n${show(missing)}` : ""}`,
    actual,
    expected,
    transforms,
    ...(missing ? { missing } : {}),
  };
}

// ---- regular expressions: Go's RE2 syntax (core/go-regexp) ----

export function goRegExp(source: string): GoRegExp {
  try {
    return compileGoRegExp(source);
  } catch (err) {
    if (err instanceof GoRegExpError) throw new MatcherSyntaxError(err.message);
    throw err;
  }
}

// ---- line patterns (matchers/have_patterns.go) ----

interface LinePattern {
  pattern: string;
  inverse: boolean;
  test(line: string): boolean;
}

export function linePattern(p: string): LinePattern {
  const inverse = p.startsWith("!");
  if ((p.startsWith("/") || p.startsWith("!/")) && p.endsWith("/") && p.length > (inverse ? 2 : 1)) {
    let clean = inverse ? p.slice(1) : p;
    if (clean.startsWith("\\") || clean.startsWith("/")) clean = clean.slice(1);
    if (clean.endsWith("/")) clean = clean.slice(0, -1);
    const re = goRegExp(clean);
    return { pattern: p, inverse, test: (line) => re.test(line) };
  }
  // Goss trims every leading '\', '/' and '!' from a plain pattern.
  const clean = p.replace(/^[\\/!]+/, "");
  return { pattern: p, inverse, test: (line) => line.includes(clean) };
}

/** Each pattern is found on some line; each `!pattern` on none. */
export function matchPatterns(text: string, patterns: readonly string[]): { ok: boolean; missing: string[] } {
  const compiled = patterns.map(linePattern);
  let open = compiled;
  const found = new Set<LinePattern>();
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) {
    if (open.length === 0) break;
    open = open.filter((p) => {
      if (!p.test(line)) return true;
      if (!p.inverse) found.add(p);
      return false;
    });
  }
  for (const p of open) if (p.inverse || p.pattern === "") found.add(p);
  const missing = compiled.filter((p) => !found.has(p)).map((p) => p.pattern);
  return { ok: missing.length === 0, missing };
}

// ---- gjson: the paths Gossfiles use (a.b, a.0, a.#, escaped dots) ----

function gjsonGet(json: unknown, path: string): { found: boolean; value?: unknown } {
  if (path === "@this" || path === "") return { found: true, value: json };
  const parts = path.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, "."));
  let cur: unknown = json;
  for (const part of parts) {
    if (part === "#" && Array.isArray(cur)) {
      cur = cur.length;
      continue;
    }
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (cur !== null && typeof cur === "object" && !Array.isArray(cur) && Object.hasOwn(cur, part))
      cur = (cur as Record<string, unknown>)[part];
    else return { found: false };
    if (cur === undefined) return { found: false };
  }
  return { found: true, value: cur };
}

// ---- deep equality for `equal` (strict types, as gomega's Equal) ----

function deepEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Stream) return deepEqual(a.text, b);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

// ---- compiling ----

function syntax(name: string, expected: string, value: unknown): MatcherSyntaxError {
  return new MatcherSyntaxError(
    `invalid '${name}' argument: expected ${expected} value, but received ${typeName(value)}: ${JSON.stringify(value)}`,
  );
}

function list(value: unknown, name: string): Matcher[] {
  if (!Array.isArray(value)) throw syntax(name, "array", value);
  if (value.length === 0 && (name === "and" || name === "or"))
    throw new MatcherSyntaxError(`invalid '${name}' argument: an empty list asserts nothing`);
  return value.map((v) => compileMatcher(v));
}

function stringArg(name: string, value: unknown): string {
  if (typeof value !== "string") throw syntax(name, "string", value);
  return value;
}

function onString(
  actual: unknown,
  verb: string,
  expected: unknown,
  test: (s: string) => boolean,
): MatchResult {
  const t = toStringT(actual);
  return result(test(t.value), t.value, verb, expected, t.transformed ? ["to-string"] : []);
}

function numeric(op: "eq" | "gt" | "ge" | "lt" | "le", expected: number): Matcher {
  const verbs = {
    eq: "to be numerically eq",
    gt: "to be numerically gt",
    ge: "to be numerically ge",
    lt: "to be numerically lt",
    le: "to be numerically le",
  } as const;
  return (actual) => {
    const n = toNumeric(actual);
    const transforms = typeof actual === "number" ? [] : ["to-numeric"];
    if (n === undefined) return result(false, actual, `${verbs[op]} (not a number)`, expected, transforms);
    const ok =
      op === "eq"
        ? n === expected
        : op === "gt"
          ? n > expected
          : op === "ge"
            ? n >= expected
            : op === "lt"
              ? n < expected
              : n <= expected;
    return result(ok, n, verbs[op], expected, transforms);
  };
}

/**
 * Which matchers get an element of their own (gomega's bipartite matching: one element per matcher),
 * by augmenting paths; the lists are small, the answer exact. Returns each matcher's element or -1.
 */
function matchDistinct(subs: readonly Matcher[], arr: readonly unknown[]): number[] {
  const owner = new Array<number>(arr.length).fill(-1);
  const hits = subs.map((m) => arr.map((el) => m(el).ok));
  const tryAssign = (m: number, seen: boolean[]): boolean => {
    for (let e = 0; e < arr.length; e++) {
      if (seen[e] || !hits[m]?.[e]) continue;
      seen[e] = true;
      if (owner[e] === -1 || tryAssign(owner[e] ?? -1, seen)) {
        owner[e] = m;
        return true;
      }
    }
    return false;
  };
  for (let m = 0; m < subs.length; m++) tryAssign(m, new Array<boolean>(arr.length).fill(false));
  return subs.map((_, m) => owner.indexOf(m));
}

/** contain-elements: every expected matcher matches an element of its own. */
function containElements(subs: Matcher[], expected: unknown, transform = false): Matcher {
  return (actual) => {
    if (actual instanceof Stream) return notAList("ContainElements", actual);
    const arr = transform ? toArray(actual) : Array.isArray(actual) ? actual : undefined;
    const transforms = transform && !Array.isArray(actual) ? ["to-array"] : [];
    if (!arr) return result(false, actual, "to contain elements (not a list)", expected, transforms);
    const assigned = matchDistinct(subs, arr);
    const missing = assigned.flatMap((e, i) =>
      e === -1 ? [Array.isArray(expected) ? expected[i] : expected] : [],
    );
    return result(missing.length === 0, arr, "to contain elements matching", expected, transforms, missing);
  };
}

/** consist-of: the elements are exactly the expected ones, in any order (one element per matcher). */
function consistOf(subs: Matcher[], expected: unknown): Matcher {
  return (actual) => {
    if (actual instanceof Stream) return notAList("ConsistOf", actual);
    const arr = toArray(actual);
    if (!arr) return result(false, actual, "to consist of (not a list)", expected);
    const assigned = matchDistinct(subs, arr);
    const ok = arr.length === subs.length && assigned.every((e) => e !== -1);
    if (ok) return result(ok, arr, "to consist of", expected);
    // Gomega's ConsistOf names the expected elements left unmatched and the actual ones left over.
    const missing = assigned.flatMap((e, i) =>
      e === -1 ? [Array.isArray(expected) ? expected[i] : expected] : [],
    );
    const extra = arr.filter((_, i) => !assigned.includes(i));
    const r = result(false, arr, "to consist of", expected, [], missing);
    return extra.length ? { ...r, message: `${r.message}\nthe extra elements were\n${show(extra)}` } : r;
  };
}

/** Compiles a Gossfile expectation into a matcher; a malformed one throws MatcherSyntaxError. */
export function compileMatcher(spec: unknown): Matcher {
  if (typeof spec === "string") return (a) => onString(a, "to equal", spec, (s) => s === spec);
  if (typeof spec === "number") return numeric("eq", spec);
  if (typeof spec === "boolean")
    return (a) => result(a === spec, a instanceof Stream ? a.text : a, "to equal", spec);
  if (Array.isArray(spec)) return containElements(list(spec, "contain-elements"), spec);
  if (spec === null || spec === undefined) throw new MatcherSyntaxError("missing required attribute");
  if (typeof spec !== "object") throw syntax("matcher", "map", spec);
  const keys = Object.keys(spec);
  if (keys.length === 0)
    throw new MatcherSyntaxError(
      "invalid matcher: an empty map asserts nothing, exactly one matcher is required",
    );
  if (keys.length > 1)
    throw new MatcherSyntaxError(
      `invalid matcher: only one matcher is allowed at a level, found ${keys.map((k) => JSON.stringify(k)).join(", ")}`,
    );
  const name = keys[0] as string;
  const value = (spec as Record<string, unknown>)[name];
  switch (name) {
    case "equal":
      return (a) => result(deepEqual(a, value), a instanceof Stream ? a.text : a, "to equal", value);
    case "have-prefix": {
      const v = stringArg(name, value);
      return (a) => onString(a, "to have prefix", v, (s) => s.startsWith(v));
    }
    case "have-suffix": {
      const v = stringArg(name, value);
      return (a) => onString(a, "to have suffix", v, (s) => s.endsWith(v));
    }
    case "match-regexp": {
      const re = goRegExp(stringArg(name, value));
      return (a) => onString(a, "to match regular expression", value, (s) => re.test(s));
    }
    case "contain-substring": {
      const v = stringArg(name, value);
      return (a) => onString(a, "to contain substring", v, (s) => s.includes(v));
    }
    case "have-len": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw syntax(name, "numeric", value);
      return (a) => {
        const raw = a instanceof Stream ? a.text : a;
        const len =
          typeof raw === "string" || Array.isArray(raw)
            ? raw.length
            : raw && typeof raw === "object"
              ? Object.keys(raw).length
              : undefined;
        return result(len === value, raw, "to have length", value);
      };
    }
    case "have-patterns": {
      if (!Array.isArray(value)) throw syntax(name, "array", value);
      const patterns = value.map((p) => {
        if (typeof p !== "string") throw syntax(name, "string pattern", p);
        linePattern(p);
        return p;
      });
      return (a) => {
        const t = toStringT(a);
        const m = matchPatterns(t.value, patterns);
        return result(
          m.ok,
          t.value,
          "to have patterns",
          patterns,
          t.transformed && !(a instanceof Stream) ? ["to-string"] : [],
          m.missing,
        );
      };
    }
    case "have-key": {
      const sub = compileMatcher(value);
      return (a) => {
        const keysOf = a && typeof a === "object" && !Array.isArray(a) ? Object.keys(a) : undefined;
        return result(keysOf?.some((k) => sub(k).ok) ?? false, a, "to have key matching", value);
      };
    }
    case "have-key-with-value": {
      if (!value || typeof value !== "object" || Array.isArray(value)) throw syntax(name, "map", value);
      const subs = Object.entries(value).map(([k, v]) => [k, compileMatcher(v)] as const);
      return (a) => {
        const obj =
          a && typeof a === "object" && !Array.isArray(a) ? (a as Record<string, unknown>) : undefined;
        const ok = obj !== undefined && subs.every(([k, m]) => Object.hasOwn(obj, k) && m(obj[k]).ok);
        return result(ok, a, "to have {key: value} matching", value);
      };
    }
    case "contain-element": {
      if (
        value === null ||
        (typeof value !== "object" && typeof value !== "string" && typeof value !== "number")
      )
        throw syntax(name, "matcher, string or numeric", value);
      if (Array.isArray(value)) throw syntax(name, "matcher, string or numeric", value);
      const sub = compileMatcher(value);
      return (a) => {
        if (a instanceof Stream) return notAList("ContainElement", a);
        const arr = toArray(a);
        const transforms = Array.isArray(a) ? [] : ["to-array"];
        if (!arr) return result(false, a, "to contain element matching (not a list)", value, transforms);
        return result(
          arr.some((el) => sub(el).ok),
          arr,
          "to contain element matching",
          value,
          transforms,
        );
      };
    }
    case "contain-elements":
      return containElements(list(value, name), value, true);
    case "consist-of":
      return consistOf(list(value, name), value);
    case "not": {
      const sub = compileMatcher(value);
      return (a) => {
        const r = sub(a);
        if (r.error !== undefined) return r;
        return { ...r, ok: !r.ok, message: r.message.replace(/\n(to [^\n]*)\n/, "\nnot $1\n") };
      };
    }
    case "and": {
      const subs = list(value, name);
      return (a) => {
        for (const m of subs) {
          const r = m(a);
          if (!r.ok) return r;
        }
        return result(true, a, "to satisfy all of these matchers", value);
      };
    }
    case "or": {
      const subs = list(value, name);
      return (a) => {
        const results = subs.map((m) => m(a));
        const hit = results.find((r) => r.ok);
        return hit ?? result(false, a, "to satisfy at least one of these matchers", value);
      };
    }
    case "gt":
    case "ge":
    case "lt":
    case "le":
      if (typeof value !== "number") throw syntax(name, "numeric", value);
      return numeric(name, value);
    case "semver-constraint": {
      const constraint = stringArg(name, value);
      try {
        semverConstraint(constraint);
      } catch (err) {
        throw new MatcherSyntaxError(`invalid 'semver-constraint': ${(err as Error).message}`);
      }
      return (a) => {
        const versions = Array.isArray(a) ? a.map(goString) : [goString(a)];
        const ok = versions.length > 0 && versions.every((v) => satisfiesSemver(v, constraint));
        return result(ok, a, "to satisfy semver constraint", constraint);
      };
    }
    case "gjson": {
      if (!value || typeof value !== "object" || Array.isArray(value)) throw syntax(name, "map", value);
      const subs = Object.entries(value).map(([path, v]) => [path, compileMatcher(v)] as const);
      if (subs.length === 0)
        throw new MatcherSyntaxError("invalid 'gjson' argument: an empty map asserts nothing");
      return (a) => {
        const text = goString(a);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return result(false, text, "to be valid JSON for gjson", value, ["gjson"]);
        }
        for (const [path, m] of subs) {
          const got = gjsonGet(json, path);
          if (!got.found) return result(false, text, `to have the gjson path ${path}`, value, ["gjson"]);
          const r = m(got.value);
          if (!r.ok) return { ...r, transforms: [`gjson ${path}`, ...r.transforms] };
        }
        return result(true, a, "to match gjson", value, ["gjson"]);
      };
    }
    default:
      throw new MatcherSyntaxError(
        `unknown matcher: ${name} (expected one of ${MATCHERS.join(", ")}, or a plain value)`,
      );
  }
}

/**
 * The matcher of a resource attribute. On an output stream (stdout, stderr, contents, body, or a
 * `matching` content read `as-reader`) a list is Goss's line patterns and a string is the whole output;
 * elsewhere a value is compiled as is. `stream` says the property is always a stream, so its patterns
 * are checked when the file is read.
 */
export function compileAttribute(spec: unknown, stream: boolean): Matcher {
  if (!Array.isArray(spec)) return compileMatcher(spec);
  const strings = spec.every((p) => typeof p === "string");
  if (stream && !strings)
    throw syntax(
      "patterns",
      "string",
      spec.find((p) => typeof p !== "string"),
    );
  for (const p of strings ? spec : []) linePattern(p as string);
  const elements = stream ? undefined : compileMatcher(spec);
  return (a) => {
    if (!(a instanceof Stream) && elements) return elements(a);
    const text = goString(a);
    if (!strings) return result(false, text, "to have patterns (patterns must be strings)", spec);
    const m = matchPatterns(text, spec as string[]);
    return result(m.ok, text, "to have patterns", spec, [], m.missing);
  };
}
