import { fullRegex } from "./regex.js";
import type { Matcher, RuleList } from "./rules.js";

/** A JSON value as a pact body holds it. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function typeName(v: unknown): string {
  if (v === null) return "Null";
  if (Array.isArray(v)) return "Array";
  if (typeof v === "number") return Number.isInteger(v) ? "Integer" : "Decimal";
  if (typeof v === "string") return "String";
  if (typeof v === "boolean") return "Boolean";
  if (typeof v === "object") return "Map";
  return typeof v;
}

export function show(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function asText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** Java SimpleDateFormat / Pact's date-time formats, as a regular expression over the text. */
export function dateFormatRegex(format: string): RegExp {
  let out = "";
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c === "'") {
      const end = format.indexOf("'", i + 1);
      const lit = end < 0 ? format.slice(i + 1) : format.slice(i + 1, end);
      out += lit === "" ? "'" : lit.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i = end < 0 ? format.length : end + 1;
      continue;
    }
    let n = 1;
    while (format[i + n] === c) n++;
    i += n;
    switch (c) {
      case "y":
      case "u":
        out += n === 2 ? "\\d{2}" : "\\d{4}";
        break;
      case "M":
        out +=
          n >= 4
            ? "[A-Za-z]+"
            : n === 3
              ? "[A-Za-z]{3}"
              : n === 2
                ? "(?:0[1-9]|1[0-2])"
                : "(?:1[0-2]|0?[1-9])";
        break;
      case "d":
        out += n === 2 ? "(?:0[1-9]|[12]\\d|3[01])" : "(?:3[01]|[12]\\d|0?[1-9])";
        break;
      case "D":
        out += "\\d{1,3}";
        break;
      case "H":
        out += n === 2 ? "(?:[01]\\d|2[0-3])" : "(?:2[0-3]|[01]?\\d)";
        break;
      case "k":
        out += "\\d{1,2}";
        break;
      case "h":
      case "K":
        out += n === 2 ? "(?:0\\d|1[0-2])" : "(?:1[0-2]|0?\\d)";
        break;
      case "m":
      case "s":
        out += n === 2 ? "[0-5]\\d" : "[0-5]?\\d";
        break;
      case "S":
        out += `\\d{${n}}`;
        break;
      case "a":
        out += "(?:AM|PM|am|pm)";
        break;
      case "E":
        out += "[A-Za-z]+";
        break;
      case "z":
        out += "[A-Za-z]+(?:[+-]\\d{1,2}(?::?\\d{2})?)?";
        break;
      case "Z":
        out += "[+-]\\d{4}";
        break;
      case "X":
        out += n === 1 ? "(?:Z|[+-]\\d{2})" : n === 2 ? "(?:Z|[+-]\\d{4})" : "(?:Z|[+-]\\d{2}:\\d{2})";
        break;
      case "x":
        out += n === 1 ? "[+-]\\d{2}" : n === 2 ? "[+-]\\d{4}" : "[+-]\\d{2}:\\d{2}";
        break;
      default:
        out += c.repeat(n).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${out}$`);
}

const ISO = {
  date: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  time: /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/,
  timestamp:
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/,
};

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const STATUS_CLASSES: Record<string, (s: number) => boolean> = {
  information: (s) => s >= 100 && s < 200,
  success: (s) => s >= 200 && s < 300,
  redirect: (s) => s >= 300 && s < 400,
  clientError: (s) => s >= 400 && s < 500,
  serverError: (s) => s >= 500 && s < 600,
  nonError: (s) => s < 400,
  error: (s) => s >= 400,
};

function sizeOf(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (typeof v === "string") return v.length;
  if (v !== null && typeof v === "object") return Object.keys(v).length;
  return undefined;
}

function bounds(m: Matcher, actual: unknown): string | undefined {
  const n = sizeOf(actual);
  if (n === undefined) return undefined;
  if (typeof m.min === "number" && n < m.min)
    return `Expected ${show(actual)} (size ${n}) to have minimum size of ${m.min}`;
  if (typeof m.max === "number" && n > m.max)
    return `Expected ${show(actual)} (size ${n}) to have maximum size of ${m.max}`;
  return undefined;
}

/** Matchers that look inside a collection (the comparison of the children handles them). */
export const COLLECTION_MATCHERS = new Set(["values", "eachKey", "eachValue", "arrayContains"]);

/**
 * Applies one matcher to one value; returns the mismatch in Pact's words, or undefined when it matches.
 * Collection matchers (values, eachKey, eachValue, arrayContains) only check the value is a collection
 * here: the body comparison applies their rules to the children.
 */
export function applyMatcher(m: Matcher, expected: unknown, actual: unknown): string | undefined {
  switch (m.match) {
    case "equality":
      return deepEqual(expected, actual)
        ? undefined
        : `Expected ${show(actual)} to be equal to ${show(expected)}`;
    case "regex": {
      const text = asText(actual);
      const pattern = String(m.regex ?? "");
      if (text === undefined) return `Expected ${show(actual)} to match '${pattern}'`;
      return fullRegex(pattern).test(text) ? undefined : `Expected ${show(actual)} to match '${pattern}'`;
    }
    case "type":
    case "min":
    case "max":
      if (jsonType(expected) !== jsonType(actual) && expected !== undefined)
        return `Expected ${show(actual)} (${typeName(actual)}) to be the same type as ${show(expected)} (${typeName(expected)})`;
      return bounds(m, actual);
    case "include": {
      const text = asText(actual);
      const value = String(m.value ?? "");
      return text?.includes(value) ? undefined : `Expected ${show(actual)} to include '${value}'`;
    }
    case "integer": {
      // pact_matching: a string passes when it parses as an unsigned integer (Rust's u64 parse).
      if (typeof actual === "string")
        return /^\+?\d+$/.test(actual) ? undefined : `Expected '${actual}' (String) to be an integer number`;
      const ok = typeof actual === "number" && Number.isInteger(actual);
      return ok ? undefined : `Expected ${show(actual)} (${typeName(actual)}) to be an integer`;
    }
    case "decimal": {
      const ok = typeof actual === "number" || (typeof actual === "string" && /^-?\d+\.\d+$/.test(actual));
      return ok ? undefined : `Expected ${show(actual)} (${typeName(actual)}) to be a decimal number`;
    }
    case "number": {
      const ok =
        typeof actual === "number" ||
        (typeof actual === "string" && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(actual));
      return ok ? undefined : `Expected ${show(actual)} (${typeName(actual)}) to be a number`;
    }
    case "boolean": {
      const ok = typeof actual === "boolean" || actual === "true" || actual === "false";
      return ok ? undefined : `Expected ${show(actual)} (${typeName(actual)}) to be a boolean`;
    }
    case "null":
      return actual === null
        ? undefined
        : `Expected ${show(actual)} (${typeName(actual)}) to be a null value`;
    case "date":
    case "time":
    case "timestamp":
    case "datetime": {
      const kind = m.match === "datetime" ? "timestamp" : (m.match as "date" | "time" | "timestamp");
      const format = (m.format ?? m[kind] ?? m.date ?? m.time ?? m.timestamp) as string | undefined;
      const text = asText(actual);
      const re = format ? dateFormatRegex(format) : ISO[kind];
      return text !== undefined && re.test(text)
        ? undefined
        : `Expected ${show(actual)} to match a ${kind} of '${format ?? "ISO 8601"}'`;
    }
    case "contentType":
      return undefined; // checked against the body as a whole (body.ts)
    case "values":
    case "eachKey":
    case "eachValue":
      return actual !== null && typeof actual === "object"
        ? bounds(m, actual)
        : `Expected ${show(actual)} (${typeName(actual)}) to be a collection`;
    case "arrayContains":
      return Array.isArray(actual)
        ? undefined
        : `Expected ${show(actual)} (${typeName(actual)}) to be an array`;
    case "notEmpty": {
      const n = sizeOf(actual);
      const empty = actual === null || actual === undefined || n === 0;
      if (empty) return `Expected ${show(actual)} (${typeName(actual)}) to not be empty`;
      if (expected !== undefined && jsonType(expected) !== jsonType(actual))
        return `Expected ${show(actual)} (${typeName(actual)}) to be the same type as ${show(expected)} (${typeName(expected)})`;
      return undefined;
    }
    case "semver": {
      const text = asText(actual);
      return text !== undefined && SEMVER.test(text)
        ? undefined
        : `${show(actual)} is not a valid semantic version`;
    }
    case "statusCode": {
      const status = typeof actual === "number" ? actual : Number(actual);
      const want = m.status ?? "success"; // pact_models: a statusCode matcher without status means success
      if (Array.isArray(want))
        return want.map(Number).includes(status)
          ? undefined
          : `Expected status ${status} to be one of ${want.join(", ")}`;
      const test = STATUS_CLASSES[String(want)];
      if (!test) return `Unknown status code class '${String(want)}'`;
      return test(status) ? undefined : `Expected status code ${status} to be a ${String(want)} status`;
    }
    default:
      return `Unsupported matcher '${m.match}'`;
  }
}

/** Applies a rule list (AND: every matcher, OR: any) to a value: the mismatches, empty when it matches. */
export function applyRules(rules: RuleList, expected: unknown, actual: unknown): string[] {
  const results = rules.matchers.map((m) => applyMatcher(m, expected, actual));
  const failed = results.filter((r): r is string => r !== undefined);
  if (rules.combine === "OR") return failed.length < results.length ? [] : failed;
  return failed;
}
