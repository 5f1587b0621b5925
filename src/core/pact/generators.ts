import { parsePath, pathWeight } from "./path.js";

/**
 * Pact's generators (v3/v4): values the verifier makes up when it replays a request, where the
 * consumer's example must not be used as is (`RandomInt`, `Uuid`, `DateTime`...) or comes from the
 * provider state (`ProviderState`: `${id}` filled from what the state change returned).
 */
export type Generator = { type: string } & Record<string, unknown>;

/** Randomness is injected so tests can pin it (core takes no ambient randomness). */
export interface GeneratorContext {
  random: () => number;
  now: () => Date;
  /** Values the provider state change returned (for ProviderState generators). */
  stateValues: Record<string, unknown>;
}

const HEX = "0123456789abcdef";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function pick(chars: string, n: number, random: () => number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += chars[Math.floor(random() * chars.length)];
  return s;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** Formats a date with the Java-style patterns Pact uses (yyyy-MM-dd'T'HH:mm:ss...). */
export function formatDate(d: Date, format: string): string {
  return format.replace(
    /'([^']*)'|y{4}|y{2}|M{2}|d{2}|H{2}|m{2}|s{2}|S{3}|XXX|X|Z/g,
    (tok, lit: string | undefined) => {
      if (lit !== undefined) return lit;
      switch (tok) {
        case "yyyy":
          return String(d.getUTCFullYear());
        case "yy":
          return pad(d.getUTCFullYear() % 100);
        case "MM":
          return pad(d.getUTCMonth() + 1);
        case "dd":
          return pad(d.getUTCDate());
        case "HH":
          return pad(d.getUTCHours());
        case "mm":
          return pad(d.getUTCMinutes());
        case "ss":
          return pad(d.getUTCSeconds());
        case "SSS":
          return pad(d.getUTCMilliseconds(), 3);
        case "XXX":
        case "X":
          return "Z";
        case "Z":
          return "+0000";
        default:
          return tok;
      }
    },
  );
}

/** A value as text, the way Pact writes it into a string: a string as it is, anything else as JSON. */
function textOf(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
}

/**
 * The provider state's values a ProviderState generator reads. pact_verifier passes them as they are,
 * or under a `providerState` key; both are understood.
 */
function stateContext(values: Record<string, unknown>): Record<string, unknown> {
  const nested = values.providerState;
  return typeof nested === "object" && nested !== null && !Array.isArray(nested)
    ? (nested as Record<string, unknown>)
    : values;
}

const hasValue = (values: Record<string, unknown>, key: string) =>
  Object.hasOwn(values, key) && values[key] !== undefined;

/**
 * The value of a ProviderState generator's expression, as pact_models' `generate_value_from_context`
 * makes it: an expression without `${` is a key looked up as it is (pact-jvm's `"expression":
 * "userId"`); otherwise each `${key}` is replaced by its value, and an expression that is just one
 * `${key}` keeps the value's type. `undefined` when a key has no value (or a `${` is not closed): the
 * generator then keeps the recorded example, as Pact's verifiers do.
 */
export function fillExpression(expression: string, values: Record<string, unknown>): unknown {
  const context = stateContext(values);
  if (!expression.includes("${")) return hasValue(context, expression) ? context[expression] : undefined;
  const parts: unknown[] = [];
  let rest = expression;
  let at = rest.indexOf("${");
  while (at >= 0) {
    if (at > 0) parts.push(rest.slice(0, at));
    const close = rest.indexOf("}", at + 2);
    if (close < 0) return undefined;
    const key = rest.slice(at + 2, close);
    if (key !== "") {
      if (!hasValue(context, key)) return undefined;
      parts.push(context[key]);
    }
    rest = rest.slice(close + 1);
    at = rest.indexOf("${");
  }
  if (rest !== "") parts.push(rest);
  return parts.length === 1 ? parts[0] : parts.map(textOf).join("");
}

const INTEGER_TEXT = /^\+?\d+$/;
const SIGNED_INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The type the generator records (`dataType`, Pact JS's `fromProviderState`, pact-jvm's
 * `fromProviderState`), applied as pact_models' `DataValue::as_json` does: a state change that answers
 * `"42"` gives 42 for an INTEGER, 42 gives "42" for a STRING. `undefined` when the value does not
 * convert (`"x7"` as an INTEGER): the example is then kept. `signed` allows a negative integer in text
 * (a path, a header, a query parameter, where Pact formats the value as an i64).
 */
export function asDataType(v: unknown, dataType: unknown, signed = false): unknown {
  const type = typeof dataType === "string" ? dataType.toUpperCase() : "RAW";
  switch (type) {
    case "STRING":
      return textOf(v);
    case "INTEGER":
      if (v === null || v === undefined) return 0;
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "number") return Math.trunc(v);
      if (typeof v === "string" && (signed ? SIGNED_INTEGER_TEXT : INTEGER_TEXT).test(v)) return Number(v);
      return undefined;
    case "DECIMAL":
    case "FLOAT":
      if (v === null || v === undefined) return 0;
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "number") return v;
      if (typeof v === "string" && FLOAT_TEXT.test(v)) return Number(v);
      return undefined;
    case "BOOLEAN":
      if (v === null || v === undefined) return false;
      if (typeof v === "boolean") return v;
      if (typeof v === "number") return v > 0;
      if (v === "true" || v === "false") return v === "true";
      return undefined;
    default:
      // RAW, or a type Pact does not know: the value as the state gave it
      return v;
  }
}

/** A ProviderState generator's value, or `undefined` to keep the example. */
export function fromProviderState(g: Generator, ctx: GeneratorContext, signed = false): unknown {
  if (typeof g.expression !== "string") return undefined;
  const v = fillExpression(g.expression, ctx.stateValues);
  return v === undefined ? undefined : asDataType(v, g.dataType, signed);
}

/**
 * A generator's value where the request holds text (the path, a header, a query parameter);
 * `undefined` keeps the example.
 */
export function generateText(g: Generator, ctx: GeneratorContext): string | undefined {
  const v = g.type === "ProviderState" ? fromProviderState(g, ctx, true) : generate(g, ctx);
  return v === undefined ? undefined : textOf(v);
}

/** The value a generator makes; `undefined` keeps the example (a generator it cannot run here). */
export function generate(g: Generator, ctx: GeneratorContext): unknown {
  const r = ctx.random;
  switch (g.type) {
    case "RandomInt": {
      const min = typeof g.min === "number" ? g.min : 0;
      const max = typeof g.max === "number" ? g.max : 2147483647;
      return min + Math.floor(r() * (max - min + 1));
    }
    case "RandomDecimal": {
      const digits = typeof g.digits === "number" ? g.digits : 6;
      return Number((r() * 10 ** Math.max(1, digits - 2)).toFixed(2));
    }
    case "RandomHexadecimal":
      return pick(HEX, typeof g.digits === "number" ? g.digits : 8, r);
    case "RandomString":
      return pick(ALNUM, typeof g.size === "number" ? g.size : 20, r);
    case "RandomBoolean":
      return r() < 0.5;
    case "Uuid": {
      const h = pick(HEX, 32, r);
      const v = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[Math.floor(r() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
      return g.format === "upper-case-hyphenated"
        ? v.toUpperCase()
        : g.format === "simple"
          ? v.replace(/-/g, "")
          : v;
    }
    case "Date":
      return formatDate(ctx.now(), typeof g.format === "string" ? g.format : "yyyy-MM-dd");
    case "Time":
      return formatDate(ctx.now(), typeof g.format === "string" ? g.format : "HH:mm:ss");
    case "DateTime":
      return formatDate(ctx.now(), typeof g.format === "string" ? g.format : "yyyy-MM-dd'T'HH:mm:ss");
    case "ProviderState":
      return fromProviderState(g, ctx);
    default:
      // Regex and MockServerURL keep the consumer's example, which already fits them
      return undefined;
  }
}

/** Applies body generators (keyed by path) to a JSON value, returning a new value. */
export function generateBody(
  body: unknown,
  generators: Record<string, unknown>,
  ctx: GeneratorContext,
): unknown {
  let out = structuredClone(body);
  for (const [path, raw] of Object.entries(generators)) {
    if (typeof raw !== "object" || raw === null || typeof (raw as Generator).type !== "string") continue;
    const tokens = parsePath(path);
    const visit = (value: unknown, at: string[]): unknown => {
      if (at.length === tokens.length && pathWeight(tokens, at) > 0) {
        const v = generate(raw as Generator, ctx);
        return v === undefined ? value : v;
      }
      if (at.length >= tokens.length) return value;
      if (Array.isArray(value)) return value.map((x, i) => visit(x, [...at, String(i)]));
      if (value !== null && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, visit(x, [...at, k])]));
      return value;
    };
    out = visit(out, ["$"]);
  }
  return out;
}
