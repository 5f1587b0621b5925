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
export { duration, durationSchema } from "../core/duration.js";

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
