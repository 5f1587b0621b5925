import { z } from "zod";

/**
 * THE duration type of withstand: every duration in a document (and the flags that take one) is read
 * here, so all of them accept the same forms, say the same thing when wrong and have a maximum.
 *
 * Forms: a number of seconds (Chaos Toolkit style, `2`, `0.5`, also as a string `"2"`), or a number with
 * a unit, `250ms`, `10s`, `5m`, `1h`, `1d`, or a sum of those, `1m30s`. Never negative.
 * Maximum: MAX_DURATION_MS (24 days) unless a field documents its own: anything withstand waits for
 * goes through a Node timer, and Node's timers overflow past 2^31-1 ms (24.8 days), firing at once.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export const DAY_MS = 86_400_000;
/** The longest duration a document may give, unless its field documents another maximum. */
export const MAX_DURATION_MS = 24 * DAY_MS;

/** The text forms, as a JSON Schema pattern (a `${var}` placeholder is also accepted: it is filled at run time). */
export const DURATION_PATTERN = String.raw`^\s*(\d+(\.\d+)?|(\d+(\.\d+)?(ms|s|m|h|d))+)\s*$|\$\{[^}]+\}`;

/** What to expect, in every message about a duration. */
export const DURATION_FORMS = `seconds or a duration such as "500ms", "10s", "5m"`;

/** Returns milliseconds, or undefined when the value is not a duration (no maximum applied). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  // Compound forms such as "1m30s" are accepted as a sum of parts.
  const parts = text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g);
  if (!parts || parts.join("") !== text) return undefined;
  let total = 0;
  for (const part of parts) {
    const m = DURATION.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
  }
  return total;
}

/** The bounds of one duration field; the defaults are 0 allowed and MAX_DURATION_MS. */
export interface DurationRange {
  /** True when 0 means nothing sensible for the field (an interval, a period). */
  positive?: boolean;
  /** The field's documented maximum, in milliseconds. */
  maxMs?: number;
}

/** A duration read: its milliseconds, or the message saying what was expected. */
export type DurationRead = { ok: true; ms: number } | { ok: false; message: string };

/** Reads a duration within its range; the message is the same wherever a duration is wrong. */
export function readDurationValue(value: unknown, range: DurationRange = {}): DurationRead {
  const ms = parseDuration(value);
  const got = value === undefined ? "is required" : `got ${JSON.stringify(value)}`;
  if (ms === undefined) return { ok: false, message: `${got} (expected ${DURATION_FORMS})` };
  const max = range.maxMs ?? MAX_DURATION_MS;
  if (ms > max)
    return {
      ok: false,
      message: `${got} (expected at most ${formatDurationExact(max)}${typeof value === "number" ? ` (${max / 1000} seconds)` : ""}${max === MAX_DURATION_MS ? ", the longest duration withstand waits for" : ""})`,
    };
  if (range.positive && ms <= 0)
    return { ok: false, message: `${got} (expected a duration above 0, such as "500ms", "10s", "5m")` };
  return { ok: true, ms };
}

/** A duration as the largest exact units: 24d, 90s, 1h30m, 250ms. */
export function formatDurationExact(ms: number): string {
  const units: [string, number][] = [
    ["d", DAY_MS],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ];
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return rest > 0 ? `${out}${Number(rest.toFixed(3))}ms` : out;
}

/** The JSON Schema of a duration field: a number of seconds, or a string of the forms above. */
export function durationJsonSchema(range: DurationRange = {}, description?: string): Record<string, unknown> {
  const max = range.maxMs ?? MAX_DURATION_MS;
  return {
    anyOf: [
      {
        type: "number",
        ...(range.positive ? { exclusiveMinimum: 0 } : { minimum: 0 }),
        maximum: max / 1000,
      },
      { type: "string", pattern: DURATION_PATTERN },
    ],
    description: `${description ? `${description}: ` : ""}${DURATION_FORMS}, at most ${formatDurationExact(max)}${range.positive ? ", above 0" : ""}`,
  };
}

/**
 * The zod type of a duration field, in milliseconds: the one schema validation, execution and
 * `withstand schema` share (its JSON Schema is a number or a string pattern, never `{}`).
 */
export function durationSchema(range: DurationRange = {}, description?: string): z.ZodType<number> {
  return z
    .unknown()
    .transform((v, ctx) => {
      const read = readDurationValue(v, range);
      if (read.ok) return read.ms;
      ctx.addIssue({ code: "custom", message: read.message });
      return z.NEVER;
    })
    .meta(durationJsonSchema(range, description));
}

/** A duration of 0 or more, at most MAX_DURATION_MS. */
export const duration: z.ZodType<number> = durationSchema();

export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${seconds.toString().padStart(2, "0")}s`;
}
