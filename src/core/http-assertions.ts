import { JSONPath } from "jsonpath-plus";
import { WithstandError } from "./errors.js";

/**
 * The two ways users write HTTP assertions today, evaluated against one response: Checkly's
 * `{source, property, comparison, target, regex}` and Gatus's condition strings
 * (`[STATUS] == 200`, `[BODY].status == UP`, `len([BODY].items) > 0`, `[STATUS] == any(200, 201)`).
 * Pure: parsing reports what is not supported, evaluation explains a failure in one line.
 */

export interface ObservedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  responseTimeMs: number;
  /** False when no connection could be made (Gatus [CONNECTED]). */
  connected: boolean;
  ip?: string | undefined;
}

/** A Checkly or Gatus assertion that cannot be parsed. */
export class AssertionSyntaxError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_HTTP_ASSERTION", message, 2, options);
    this.name = "AssertionSyntaxError";
  }
}

// ---------------- Checkly ----------------

export const CHECKLY_SOURCES = ["STATUS_CODE", "JSON_BODY", "HEADERS", "TEXT_BODY", "RESPONSE_TIME"] as const;
export const CHECKLY_COMPARISONS = [
  "EQUALS",
  "NOT_EQUALS",
  "HAS_KEY",
  "NOT_HAS_KEY",
  "HAS_VALUE",
  "NOT_HAS_VALUE",
  "IS_EMPTY",
  "NOT_EMPTY",
  "LESS_THAN",
  "GREATER_THAN",
  "CONTAINS",
  "NOT_CONTAINS",
  "IS_NULL",
  "NOT_NULL",
] as const;

export interface ChecklyAssertion {
  source: (typeof CHECKLY_SOURCES)[number];
  property?: string | undefined;
  comparison: (typeof CHECKLY_COMPARISONS)[number];
  target?: string | number | boolean | null | undefined;
  regex?: string | null | undefined;
}

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}

function jsonPath(value: unknown, path: string): unknown[] {
  const p = path.startsWith("$") ? path : `$.${path.replace(/^\./, "")}`;
  return JSONPath({ path: p, json: value as object, wrap: true }) as unknown[];
}

/** A value as assertions compare it: a string as is, anything else as JSON (nothing as ""). */
function text(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? "");
}

/** The value an assertion's source (and property) selects; `undefined` when it is absent. */
function checklyValue(a: ChecklyAssertion, r: ObservedResponse): { found: boolean; value: unknown } {
  switch (a.source) {
    case "STATUS_CODE":
      return { found: true, value: r.status };
    case "RESPONSE_TIME":
      return { found: true, value: r.responseTimeMs };
    case "TEXT_BODY":
      return { found: true, value: r.body };
    case "HEADERS": {
      if (!a.property) return { found: true, value: r.headers };
      const key = Object.keys(r.headers).find((k) => k.toLowerCase() === a.property?.toLowerCase());
      return key === undefined ? { found: false, value: undefined } : { found: true, value: r.headers[key] };
    }
    case "JSON_BODY": {
      const parsed = parseJson(r.body);
      if (!parsed.ok) return { found: false, value: undefined };
      if (!a.property) return { found: true, value: parsed.value };
      const hits = jsonPath(parsed.value, a.property);
      return hits.length === 0
        ? { found: false, value: undefined }
        : { found: true, value: hits.length === 1 ? hits[0] : hits };
    }
  }
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

/** Evaluates one Checkly assertion: undefined when it holds, else why not. */
export function checkChecklyAssertion(a: ChecklyAssertion, r: ObservedResponse): string | undefined {
  const got = checklyValue(a, r);
  let value = got.value;
  if (a.regex && got.found) {
    const m = new RegExp(a.regex).exec(text(value));
    value = m ? (m[1] ?? m[0]) : undefined;
  }
  const target = a.target ?? "";
  const numeric = () => [Number(value), Number(target)] as const;
  let ok: boolean;
  switch (a.comparison) {
    case "EQUALS":
      ok = got.found && text(value) === text(target);
      break;
    case "NOT_EQUALS":
      ok = text(value) !== text(target);
      break;
    case "LESS_THAN": {
      const [x, y] = numeric();
      ok = got.found && Number.isFinite(x) && x < y;
      break;
    }
    case "GREATER_THAN": {
      const [x, y] = numeric();
      ok = got.found && Number.isFinite(x) && x > y;
      break;
    }
    case "CONTAINS":
      ok = got.found && text(value).includes(text(target));
      break;
    case "NOT_CONTAINS":
      ok = !text(value).includes(text(target));
      break;
    case "IS_EMPTY":
      ok = isEmpty(value);
      break;
    case "NOT_EMPTY":
      ok = got.found && !isEmpty(value);
      break;
    case "IS_NULL":
      ok = got.found && value === null;
      break;
    case "NOT_NULL":
      ok = got.found && value !== null;
      break;
    case "HAS_KEY":
    case "NOT_HAS_KEY": {
      const has = value !== null && typeof value === "object" && Object.hasOwn(value, text(target));
      ok = a.comparison === "HAS_KEY" ? has : !has;
      break;
    }
    case "HAS_VALUE":
    case "NOT_HAS_VALUE": {
      const values = value !== null && typeof value === "object" ? Object.values(value) : [];
      const has = values.some((v) => text(v) === text(target));
      ok = a.comparison === "HAS_VALUE" ? has : !has;
      break;
    }
  }
  if (ok) return undefined;
  const what = `${a.source}${a.property ? ` ${a.property}` : ""}${a.regex ? ` (regex ${a.regex})` : ""}`;
  return `${what} ${a.comparison} ${text(target)}: got ${got.found ? text(value) : "nothing"}`;
}

// ---------------- Gatus ----------------

const OPERATORS = ["==", "!=", "<=", ">=", "<", ">"] as const;
type Operator = (typeof OPERATORS)[number];
const PLACEHOLDERS = ["[STATUS]", "[RESPONSE_TIME]", "[IP]", "[BODY]", "[CONNECTED]"];
const UNSUPPORTED = [
  "[CERTIFICATE_EXPIRATION]",
  "[DOMAIN_EXPIRATION]",
  "[DNS_RCODE]",
  "[CONTEXT]",
  "[RESULT]",
];

export interface GatusCondition {
  text: string;
  left: string;
  op: Operator;
  right: string;
}

/** Splits at the operator that is outside brackets and parentheses. */
export function parseGatusCondition(condition: string): GatusCondition {
  let depth = 0;
  for (let i = 0; i < condition.length; i++) {
    const c = condition[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    if (depth !== 0) continue;
    for (const op of OPERATORS) {
      if (!condition.startsWith(op, i)) continue;
      const left = condition.slice(0, i).trim();
      const right = condition.slice(i + op.length).trim();
      if (!left || !right) break;
      for (const side of [left, right]) {
        const bad = UNSUPPORTED.find((p) => side.includes(p));
        if (bad) throw new AssertionSyntaxError(`${condition}: ${bad} is not supported by withstand`);
      }
      if ([left, right].some((x) => /^(pat|any)\(.*\)$/.test(x)) && op !== "==" && op !== "!=")
        throw new AssertionSyntaxError(`${condition}: pat() and any() only work with == and !=`);
      return { text: condition, left, op, right };
    }
  }
  throw new AssertionSyntaxError(
    `${condition}: expected PLACEHOLDER OPERATOR VALUE, e.g. "[STATUS] == 200" (operators ${OPERATORS.join(" ")})`,
  );
}

/** Gatus's JSONPath for [BODY]: `.a.b[0].c`; `undefined` when the path is not there. */
function bodyPath(body: string, path: string): { found: boolean; value: unknown } {
  if (path === "") return { found: true, value: body };
  const parsed = parseJson(body);
  if (!parsed.ok) return { found: false, value: undefined };
  let cur: unknown = parsed.value;
  for (const m of path.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    const key = m[1] ?? Number(m[2]);
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key))
      return { found: false, value: undefined };
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return { found: true, value: cur };
}

/** Go's `%v` of a JSON number (a float64): shortest digits, exponent form from 1e+06 up and below 1e-04. */
function goNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : n > 0 ? "+Inf" : "-Inf";
  if (n === 0) return "0";
  const [mantissa = "", exp = "0"] = n.toExponential().split("e");
  const x = Number(exp);
  if (x < -4 || x >= 6) return `${mantissa}e${x < 0 ? "-" : "+"}${String(Math.abs(x)).padStart(2, "0")}`;
  return String(n);
}

/** The length Gatus's len() gives a value found in the body: elements, bytes of text, of JSON or of `%v`. */
function goLength(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (typeof v === "string") return Buffer.byteLength(v);
  if (typeof v === "number") return goNumber(v).length;
  if (typeof v === "boolean") return String(v).length;
  if (v && typeof v === "object") return Buffer.byteLength(JSON.stringify(v));
  return undefined;
}

/** A side of a condition resolved against the response: placeholders become values, functions apply. */
function resolveSide(side: string, r: ObservedResponse): { found: boolean; value: unknown } {
  const fn = /^(len|has)\((.*)\)$/.exec(side);
  if (fn) {
    const innerText = fn[2] ?? "";
    if (innerText === "[BODY]") {
      // Gatus: has([BODY]) is a non-blank body; len([BODY]) counts a JSON array's elements, else bytes.
      const raw = r.body;
      if (fn[1] === "has") return { found: true, value: raw.trim().length > 0 };
      if (raw.startsWith("[") && raw.endsWith("]")) {
        const parsed = parseJson(raw);
        if (parsed.ok && Array.isArray(parsed.value)) return { found: true, value: parsed.value.length };
        return { found: true, value: Buffer.byteLength(raw.trim()) };
      }
      return { found: true, value: Buffer.byteLength(raw) };
    }
    const inner = resolveSide(innerText, r);
    if (fn[1] === "has")
      return {
        found: true,
        value: innerText.startsWith("[BODY]")
          ? inner.found && inner.value !== null
          : inner.found && text(inner.value) !== "",
      };
    const len = inner.value === null ? undefined : goLength(inner.value);
    return { found: inner.found && len !== undefined, value: len };
  }
  if (side === "[STATUS]") return { found: true, value: r.status };
  if (side === "[RESPONSE_TIME]") return { found: true, value: r.responseTimeMs };
  if (side === "[CONNECTED]") return { found: true, value: r.connected };
  if (side === "[IP]") return { found: r.ip !== undefined, value: r.ip };
  if (side.startsWith("[BODY]")) return bodyPath(r.body, side.slice("[BODY]".length));
  if (side.startsWith("[")) return { found: false, value: undefined };
  return { found: true, value: side.replace(/^"(.*)"$/, "$1") };
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "s",
  );
  return re.test(value);
}

/** Evaluates a parsed Gatus condition: undefined when it holds, else what was found. */
export function checkGatusCondition(c: GatusCondition, r: ObservedResponse): string | undefined {
  for (const side of [c.left, c.right]) {
    const base = side.replace(/^(len|has)\(/, "");
    if (base.startsWith("[") && !PLACEHOLDERS.some((p) => base.startsWith(p)))
      return `${c.text}: unknown placeholder ${base.replace(/\).*$/, "")}`;
  }
  // pat() and any() may stand on either side of == and != (Gatus's isEqual); the other side is the value.
  const fnLeft = /^(pat|any)\(.*\)$/.test(c.left) && !/^(pat|any)\(.*\)$/.test(c.right);
  const valueSide = fnLeft ? c.right : c.left;
  const fnSide = fnLeft ? c.left : c.right;
  const left = resolveSide(valueSide, r);
  const l = text(left.value);
  let ok: boolean;
  const pat = /^pat\((.*)\)$/.exec(fnSide);
  const any = /^any\((.*)\)$/.exec(fnSide);
  if (pat) ok = left.found && globMatch(pat[1] ?? "", l);
  else if (any)
    ok =
      left.found &&
      (any[1] ?? "")
        .split(",")
        .map((x) => text(resolveSide(x.trim(), r).value))
        .includes(l);
  else {
    const right = resolveSide(c.right, r);
    const rv = text(right.value);
    const x = Number(l);
    const y = Number(rv);
    const numeric = l.trim() !== "" && rv.trim() !== "" && Number.isFinite(x) && Number.isFinite(y);
    if (!left.found || !right.found) ok = false;
    else if (c.op === "==" || c.op === "!=") ok = (numeric ? x === y : l === rv) === (c.op === "==");
    else if (!numeric) ok = false;
    else ok = c.op === "<" ? x < y : c.op === "<=" ? x <= y : c.op === ">" ? x > y : x >= y;
  }
  if (c.op === "!=" && (pat || any)) ok = left.found && !ok;
  if (ok) return undefined;
  return `${c.text}: ${valueSide} is ${left.found ? l : "missing"}`;
}

/**
 * A value saved from a response for later steps: a Gatus placeholder (`[BODY].token`, `[STATUS]`), a
 * JSONPath (`$.order.id`) or `header:NAME`.
 */
export function extract(expression: string, r: ObservedResponse): { found: boolean; value: string } {
  if (expression.startsWith("$")) {
    const parsed = parseJson(r.body);
    const hits = parsed.ok ? jsonPath(parsed.value, expression) : [];
    return hits.length === 0 ? { found: false, value: "" } : { found: true, value: text(hits[0]) };
  }
  const header = /^header:(.+)$/i.exec(expression);
  if (header) {
    const key = Object.keys(r.headers).find((k) => k.toLowerCase() === header[1]?.trim().toLowerCase());
    return key === undefined ? { found: false, value: "" } : { found: true, value: r.headers[key] ?? "" };
  }
  const v = resolveSide(expression, r);
  return { found: v.found, value: text(v.value) };
}
