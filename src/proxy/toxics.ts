import { WithstandError } from "../core/errors.js";
/**
 * Toxic definitions with Toxiproxy's names, attributes and defaults, plus withstand's HTTP toxics.
 * Pure validation: the proxy and the API both use it.
 */
export type Stream = "upstream" | "downstream";

export const TCP_TOXICS: Record<string, readonly string[]> = {
  latency: ["latency", "jitter"],
  bandwidth: ["rate"],
  slow_close: ["delay"],
  timeout: ["timeout"],
  reset_peer: ["timeout"],
  slicer: ["average_size", "size_variation", "delay"],
  limit_data: ["bytes"],
  noop: [],
};

export const HTTP_TOXICS: Record<string, readonly string[]> = {
  http_abort: ["status", "percentage", "match"],
  http_delay: ["latency", "percentage", "match"],
};

export interface HttpMatch {
  method?: string | undefined;
  path?: string | undefined;
  header?: { name: string; value?: string | undefined } | undefined;
}

export interface ToxicSpec {
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** A Toxiproxy API request that is refused; `status` is the HTTP status the API answers with. */
export class ApiError extends WithstandError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("WS_PROXY_API", message);
    this.name = "ApiError";
  }
}

const GO_TYPE_NAMES: Record<string, string> = {
  latency: "LatencyToxic",
  bandwidth: "BandwidthToxic",
  slow_close: "SlowCloseToxic",
  timeout: "TimeoutToxic",
  reset_peer: "ResetToxic",
  slicer: "SlicerToxic",
  limit_data: "LimitDataToxic",
};

/**
 * The longest wait a toxic may ask for: Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer
 * one fires at once, over and over (TimeoutOverflowWarning). Toxiproxy takes any int64; withstand
 * refuses more than it can hold with a 400 rather than doing something else than asked.
 */
export const MAX_TOXIC_MS = 2_147_483_647;

/** Attributes that are waits, and the unit of each (slicer's delay is in microseconds). */
const WAITS: Record<string, Record<string, number>> = {
  latency: { latency: 1, jitter: 1 },
  slow_close: { delay: 1 },
  timeout: { timeout: 1 },
  reset_peer: { timeout: 1 },
  slicer: { delay: 1 / 1000 },
  http_delay: { latency: 1 },
};

/** A 400 for a wait longer than a timer can hold (latency and jitter count together: they add up). */
function checkWaits(type: string, attrs: Record<string, unknown>): void {
  const units = WAITS[type];
  if (!units) return;
  let total = 0;
  for (const [name, unit] of Object.entries(units)) {
    const v = Number(attrs[name] ?? 0) * unit;
    total += Math.max(0, v);
  }
  if (total > MAX_TOXIC_MS)
    throw new ApiError(
      400,
      `bad request body: ${Object.keys(units).join(" + ")} of ${type} adds up to ${total} ms, longer than the ${MAX_TOXIC_MS} ms (about 24.8 days) withstand can hold`,
    );
}

function describeJson(v: unknown): string {
  if (typeof v === "number") return `number ${v}`;
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return "object";
}

/** TCP toxic attributes are Go int64s: anything else is a 400, as in Toxiproxy. Missing ones are 0. */
export function tcpAttributes(
  type: string,
  raw: Record<string, unknown>,
  base: Record<string, unknown> = {},
): Record<string, number> {
  const names = Object.hasOwn(TCP_TOXICS, type) ? (TCP_TOXICS[type] ?? []) : [];
  const out: Record<string, number> = {};
  for (const name of names) {
    const v = Object.entries(raw).find(([k]) => k.toLowerCase() === name)?.[1] ?? base[name] ?? 0;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new ApiError(
        400,
        `bad request body: json: cannot unmarshal ${describeJson(v)} into Go struct field ${GO_TYPE_NAMES[type] ?? "Toxic"}.attributes.${name} of type int64`,
      );
    }
    out[name] = v;
  }
  checkWaits(type, out);
  return out;
}

export function httpAttributes(
  type: string,
  raw: Record<string, unknown>,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const merged = { ...base, ...raw };
  const percentage = merged.percentage ?? 100;
  if (typeof percentage !== "number" || percentage < 0 || percentage > 100)
    throw new ApiError(400, "bad request body: percentage must be a number from 0 to 100");
  const out: Record<string, unknown> = { percentage };
  if (type === "http_abort") {
    const status = merged.status ?? 503;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599)
      throw new ApiError(400, "bad request body: status must be an HTTP status code 100-599");
    out.status = status;
  } else {
    const latency = merged.latency ?? 0;
    if (typeof latency !== "number" || latency < 0)
      throw new ApiError(400, "bad request body: latency must be a number of milliseconds >= 0");
    out.latency = latency;
    checkWaits(type, out);
  }
  if (merged.match !== undefined && merged.match !== null) {
    const m = merged.match;
    if (typeof m !== "object" || Array.isArray(m))
      throw new ApiError(400, "bad request body: match must be an object {method, path, header}");
    const { method, path, header } = m as Record<string, unknown>;
    if (method !== undefined && typeof method !== "string")
      throw new ApiError(400, "bad request body: match.method must be a string");
    if (path !== undefined && typeof path !== "string")
      throw new ApiError(400, "bad request body: match.path must be a path prefix string");
    if (
      header !== undefined &&
      (typeof header !== "object" ||
        header === null ||
        typeof (header as { name?: unknown }).name !== "string")
    ) {
      throw new ApiError(400, "bad request body: match.header must be {name, value}");
    }
    out.match = m;
  }
  return out;
}

export function matchesRequest(
  match: HttpMatch | undefined,
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.path && !path.startsWith(match.path)) return false;
  if (match.header) {
    const v = headers[match.header.name.toLowerCase()];
    if (v === undefined) return false;
    if (
      match.header.value !== undefined &&
      (Array.isArray(v) ? !v.includes(match.header.value) : v !== match.header.value)
    )
      return false;
  }
  return true;
}

/** Splits a chunk as Toxiproxy's slicer does: recursive bisection, the midpoint moved by ±variation. */
export function slice(
  buf: Buffer,
  average: number,
  variation: number,
  random: () => number = Math.random,
): Buffer[] {
  if (average <= 0 || buf.length <= average + variation) return [buf];
  const out: Buffer[] = [];
  const split = (b: Buffer): void => {
    if (b.length <= average + variation || b.length < 2) {
      out.push(b);
      return;
    }
    const mid = Math.floor(b.length / 2);
    const shift = variation > 0 ? Math.floor(random() * (2 * variation + 1)) - variation : 0;
    const at = Math.min(b.length - 1, Math.max(1, mid + shift));
    split(b.subarray(0, at));
    split(b.subarray(at));
  };
  split(buf);
  return out;
}
