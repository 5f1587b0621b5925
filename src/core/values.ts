import { z } from "zod";

/**
 * Schema pieces the fault kinds and the experiment's providers share, so every kind reads durations,
 * counts and selectors alike. Each carries the JSON Schema of what it accepts (a transform alone
 * would export `{}`): `withstand schema` gives editors real types.
 */

/** A `${var}` placeholder, filled from configuration or secrets at run time. */
export const PLACEHOLDER_PATTERN = String.raw`\$\{[^}]+\}`;
const placeholder = { type: "string", pattern: PLACEHOLDER_PATTERN };
const NUMERIC_PATTERN = String.raw`^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$`;
const WHOLE_PATTERN = String.raw`^\s*\+?\d+\s*$`;

/** A number, or a numeric string (what `${var}` substitution gives). */
export function num(what: string): z.ZodType<number> {
  return z
    .unknown()
    .transform((v, ctx) => {
      if (typeof v === "number" && Number.isFinite(v)) return v;
      if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
      ctx.addIssue({
        code: "custom",
        message:
          v === undefined ? `is required (expected ${what})` : `got ${JSON.stringify(v)} (expected ${what})`,
      });
      return z.NEVER;
    })
    .meta({
      anyOf: [{ type: "number" }, { type: "string", pattern: NUMERIC_PATTERN }, placeholder],
      description: what,
    });
}

/** A whole number >= min (Toxiproxy's attributes are Go int64s). */
export function int(what: string, min = 0): z.ZodType<number> {
  return num(what)
    .superRefine((v, ctx) => {
      if (!Number.isInteger(v) || v < min)
        ctx.addIssue({ code: "custom", message: `got ${v} (expected ${what}, a whole number >= ${min})` });
    })
    .meta({
      anyOf: [{ type: "integer", minimum: min }, { type: "string", pattern: WHOLE_PATTERN }, placeholder],
      description: what,
    });
}

/** A duration in milliseconds: the project's one duration type (core/duration), at most 24 days. */
export { duration, durationSchema } from "./duration.js";

import { durationSchema } from "./duration.js";

export const nonEmpty = (what: string): z.ZodType<string> =>
  z
    .unknown()
    .transform((v, ctx) => {
      if (typeof v === "string" && v !== "") return v;
      if (typeof v === "number") return String(v);
      ctx.addIssue({
        code: "custom",
        message:
          v === undefined ? `is required (expected ${what})` : `got ${JSON.stringify(v)} (expected ${what})`,
      });
      return z.NEVER;
    })
    .meta({ anyOf: [{ type: "string", minLength: 1 }, { type: "number" }], description: what });

export const bool: z.ZodType<boolean> = z
  .unknown()
  .transform((v, ctx) => {
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    ctx.addIssue({ code: "custom", message: `got ${JSON.stringify(v)} (expected true or false)` });
    return z.NEVER;
  })
  .meta({ anyOf: [{ type: "boolean" }, { type: "string", enum: ["true", "false"] }, placeholder] });

function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object" && v !== null) return "a mapping";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A mapping (of any keys), said as `what` when it is something else. */
export const mapping = (what: string): z.ZodType<Record<string, unknown>> =>
  z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
      error: (issue) => `got ${shown(issue.input)} (expected ${what})`,
    })
    .meta({ type: "object", description: what });

/** One value or a list of them (`expected_status: 200` or `[200, 204]`), always read as a list. */
export function oneOrList<T>(item: z.ZodType<T>): z.ZodType<T[]> {
  const json = z.toJSONSchema(item, { io: "input", unrepresentable: "any", target: "draft-7" }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return z
    .unknown()
    .transform((v, ctx) => {
      const list = Array.isArray(v) ? v : [v];
      const out: T[] = [];
      list.forEach((x, i) => {
        const r = item.safeParse(x);
        if (r.success) out.push(r.data);
        else
          for (const issue of r.error.issues)
            ctx.addIssue({
              code: "custom",
              message: issue.message,
              path: [...(Array.isArray(v) ? [i] : []), ...issue.path] as (string | number)[],
            });
      });
      return out;
    })
    .meta({ anyOf: [json, { type: "array", items: json }] });
}

/** A timeout or wait given in seconds (Chaos Toolkit) or as a duration, read as seconds; at most 24 days. */
export const seconds = (what: string): z.ZodType<number> =>
  durationSchema({}, what).transform((ms) => ms / 1000);

/** An http:// or https:// URL (or a `${var}` filled at run time). */
export const httpUrl = (what: string): z.ZodType<string> =>
  nonEmpty(what).superRefine((url, ctx) => {
    if (!/^https?:\/\//i.test(url) && !/^\$\{/.test(url))
      ctx.addIssue({
        code: "custom",
        message: `got ${JSON.stringify(url)} (expected an http:// or https:// URL)`,
      });
  });

/** One of a few words; said as `got "x" (expected one of a, b, c)`. */
export function oneOf<T extends string>(values: readonly T[]): z.ZodType<T> {
  return z
    .unknown()
    .transform((v, ctx) => {
      if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
      ctx.addIssue({
        code: "custom",
        message: `${v === undefined ? "is required" : `got ${JSON.stringify(v)}`} (expected one of ${values.join(", ")})`,
      });
      return z.NEVER;
    })
    .meta({ type: "string", enum: [...values] });
}
