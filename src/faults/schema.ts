import { z } from "zod";

/** Schema pieces the fault kinds share, so every kind reads durations, counts and selectors alike. */

/** A number, or a numeric string (what `${var}` substitution gives). */
export function num(what: string): z.ZodType<number> {
  return z.unknown().transform((v, ctx) => {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
    ctx.addIssue({
      code: "custom",
      message:
        v === undefined ? `is required (expected ${what})` : `got ${JSON.stringify(v)} (expected ${what})`,
    });
    return z.NEVER;
  });
}

/** A whole number >= min (Toxiproxy's attributes are Go int64s). */
export function int(what: string, min = 0): z.ZodType<number> {
  return num(what).superRefine((v, ctx) => {
    if (!Number.isInteger(v) || v < min)
      ctx.addIssue({ code: "custom", message: `got ${v} (expected ${what}, a whole number >= ${min})` });
  });
}

/** A duration in milliseconds: the project's one duration type (core/duration), at most 24 days. */
export { duration, durationSchema } from "../core/duration.js";

export const nonEmpty = (what: string): z.ZodType<string> =>
  z.unknown().transform((v, ctx) => {
    if (typeof v === "string" && v !== "") return v;
    if (typeof v === "number") return String(v);
    ctx.addIssue({
      code: "custom",
      message:
        v === undefined ? `is required (expected ${what})` : `got ${JSON.stringify(v)} (expected ${what})`,
    });
    return z.NEVER;
  });

export const bool: z.ZodType<boolean> = z.unknown().transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  ctx.addIssue({ code: "custom", message: `got ${JSON.stringify(v)} (expected true or false)` });
  return z.NEVER;
});
