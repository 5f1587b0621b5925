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

/** Fills `${name}` in an expression from the provider state's values; a whole `${x}` keeps x's type. */
export function fillExpression(expression: string, values: Record<string, unknown>): unknown {
  const whole = /^\$\{([^}]+)\}$/.exec(expression);
  if (whole) {
    const v = values[whole[1] as string];
    return v === undefined ? undefined : v;
  }
  return expression.replace(/\$\{([^}]+)\}/g, (_, k: string) => {
    const v = values[k];
    return v === undefined ? "" : String(v);
  });
}

/**
 * Pact JS's `fromProviderState` records the type the value must have (`dataType`): a state change
 * that answers `"42"` gives 42 for an INTEGER. A value that does not convert is kept as it is.
 */
export function asDataType(v: unknown, dataType: unknown): unknown {
  const text = typeof v === "string" ? v.trim() : undefined;
  switch (dataType) {
    case "STRING":
      return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
    case "INTEGER": {
      const n = text !== undefined && /^[-+]?\d+$/.test(text) ? Number(text) : v;
      return typeof n === "number" ? Math.trunc(n) : n;
    }
    case "DECIMAL":
    case "FLOAT": {
      const n = text !== undefined && text !== "" && !Number.isNaN(Number(text)) ? Number(text) : v;
      return n;
    }
    case "BOOLEAN":
      return text === "true" ? true : text === "false" ? false : v;
    default:
      return v;
  }
}

/** The value a generator makes; `undefined` keeps the example (a generator it cannot run here). */
export function generate(g: Generator, example: unknown, ctx: GeneratorContext): unknown {
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
    case "ProviderState": {
      const v = typeof g.expression === "string" ? fillExpression(g.expression, ctx.stateValues) : undefined;
      return v === undefined ? example : asDataType(v, g.dataType);
    }
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
        const v = generate(raw as Generator, value, ctx);
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
