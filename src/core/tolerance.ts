import { JSONPath } from "jsonpath-plus";

/**
 * Chaos Toolkit tolerances, with CTK's semantics for literals and lists, and stricter, never-crashing
 * behaviour where CTK raises (a regex over a non-string, a missing target).
 */
export type LiteralTolerance = boolean | number | string | readonly unknown[];
export interface RangeTolerance {
  type: "range";
  range: readonly [number, number];
  target?: string | undefined;
}
export interface RegexTolerance {
  type: "regex";
  pattern: string;
  target?: string | undefined;
}
export interface JsonPathTolerance {
  type: "jsonpath";
  path: string;
  expect?: unknown;
  count?: number | undefined;
  target?: string | undefined;
}
export type PureTolerance = LiteralTolerance | RangeTolerance | RegexTolerance | JsonPathTolerance;

export interface ToleranceResult {
  met: boolean;
  reason: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A provider result (http or process) carries a numeric `status`. */
function statusOf(value: unknown): number | undefined {
  return isRecord(value) && typeof value.status === "number" ? value.status : undefined;
}

function show(v: unknown): string {
  const text = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Picks `target` out of a provider result; regex defaults to stdout/body since CTK would crash there. */
function pickTarget(value: unknown, target: string | undefined, fallback: readonly string[]): unknown {
  if (target !== undefined) return isRecord(value) ? value[target] : undefined;
  if (isRecord(value)) {
    for (const key of fallback) if (key in value) return value[key];
  }
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function checkTolerance(tolerance: PureTolerance, value: unknown): ToleranceResult {
  if (typeof tolerance === "boolean" || typeof tolerance === "string") {
    const met = deepEqual(value, tolerance);
    return {
      met,
      reason: met ? `value is ${show(tolerance)}` : `expected ${show(tolerance)}, got ${show(value)}`,
    };
  }
  if (typeof tolerance === "number") {
    const status = statusOf(value);
    const actual = status ?? value;
    const met = actual === tolerance;
    const what = status !== undefined ? "status" : "value";
    return {
      met,
      reason: met ? `${what} is ${tolerance}` : `expected ${what} ${tolerance}, got ${show(actual)}`,
    };
  }
  if (Array.isArray(tolerance)) return checkList(tolerance, value);
  const spec = tolerance as RangeTolerance | RegexTolerance | JsonPathTolerance;
  switch (spec.type) {
    case "range":
      return checkRange(spec, value);
    case "regex":
      return checkRegex(spec, value);
    case "jsonpath":
      return checkJsonPath(spec, value);
  }
}

function checkList(list: readonly unknown[], value: unknown): ToleranceResult {
  const status = statusOf(value);
  if (status !== undefined) {
    const met = list.includes(status);
    return {
      met,
      reason: met ? `status ${status} is in ${show(list)}` : `status ${status} not in ${show(list)}`,
    };
  }
  // CTK: a two-item list against a bare value is an inclusive range.
  if (
    list.length === 2 &&
    typeof list[0] === "number" &&
    typeof list[1] === "number" &&
    typeof value === "number"
  ) {
    const met = value >= list[0] && value <= list[1];
    return { met, reason: `${value} ${met ? "within" : "outside"} [${list[0]}, ${list[1]}]` };
  }
  const met = list.some((item) => deepEqual(item, value));
  return { met, reason: met ? `${show(value)} is in ${show(list)}` : `${show(value)} not in ${show(list)}` };
}

function checkRange(spec: RangeTolerance, value: unknown): ToleranceResult {
  const picked =
    spec.target === undefined && statusOf(value) !== undefined
      ? statusOf(value)
      : pickTarget(value, spec.target, []);
  const n = typeof picked === "string" && picked.trim() !== "" ? Number(picked) : picked;
  const [lo, hi] = spec.range;
  if (typeof n !== "number" || Number.isNaN(n)) {
    return {
      met: false,
      reason: `range needs a number${spec.target ? ` at ${spec.target}` : ""}, got ${show(picked)}`,
    };
  }
  const met = n >= lo && n <= hi;
  return { met, reason: `${n} ${met ? "within" : "outside"} [${lo}, ${hi}]` };
}

function checkRegex(spec: RegexTolerance, value: unknown): ToleranceResult {
  const picked = pickTarget(value, spec.target, ["stdout", "body"]);
  const text = typeof picked === "string" ? picked : undefined;
  if (text === undefined) {
    return {
      met: false,
      reason: `regex needs text${spec.target ? ` at ${spec.target}` : ""}, got ${show(picked)}`,
    };
  }
  let re: RegExp;
  try {
    re = new RegExp(spec.pattern, "m");
  } catch (err) {
    return { met: false, reason: `invalid pattern: ${(err as Error).message}` };
  }
  const met = re.test(text);
  return {
    met,
    reason: met ? `matches /${spec.pattern}/` : `${show(text)} does not match /${spec.pattern}/`,
  };
}

function checkJsonPath(spec: JsonPathTolerance, value: unknown): ToleranceResult {
  let json = pickTarget(value, spec.target, []);
  if (typeof json === "string") {
    try {
      json = JSON.parse(json);
    } catch {
      return {
        met: false,
        reason: `jsonpath needs JSON${spec.target ? ` at ${spec.target}` : ""}, got text`,
      };
    }
  }
  if (json === null || typeof json !== "object") {
    return { met: false, reason: `jsonpath needs an object or array, got ${show(json)}` };
  }
  let values: unknown[];
  try {
    values = JSONPath({ path: spec.path, json, wrap: true }) as unknown[];
  } catch (err) {
    return { met: false, reason: `invalid jsonpath ${spec.path}: ${(err as Error).message}` };
  }
  if (spec.count !== undefined && values.length !== spec.count) {
    return { met: false, reason: `${spec.path} matched ${values.length} values, expected ${spec.count}` };
  }
  if (!("expect" in spec) || spec.expect === undefined) {
    const met = spec.count !== undefined || values.length > 0;
    return {
      met,
      reason: met ? `${spec.path} matched ${values.length} values` : `${spec.path} matched nothing`,
    };
  }
  const expect = spec.expect;
  const met = Array.isArray(expect) ? deepEqual(values, expect) : values.some((v) => deepEqual(v, expect));
  return {
    met,
    reason: met
      ? `${spec.path} = ${show(expect)}`
      : `${spec.path} is ${show(values)}, expected ${show(expect)}`,
  };
}
