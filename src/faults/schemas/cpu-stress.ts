import { z } from "zod";
import { duration } from "../schema.js";

/** "80%", 80 or "0.8"-style loads, as a fraction of a core. */
export const load = z.unknown().transform((v, ctx) => {
  const m = typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
  const n = m ? Number(m[1]) : typeof v === "number" ? v : Number.NaN;
  if (Number.isFinite(n) && n > 0 && n <= 100) return n / 100;
  ctx.addIssue({
    code: "custom",
    message: `got ${JSON.stringify(v)} (expected a load such as "80%", above 0 and at most 100%)`,
  });
  return z.NEVER;
});

/** `2` (the first two cores), `all`, or a list of core numbers. */
export const cores = z.unknown().transform((v, ctx) => {
  if (v === "all") return "all" as const;
  if (typeof v === "number" && Number.isInteger(v) && v >= 1) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((c) => Number.isInteger(c) && c >= 0)) {
    const twice = v.filter((c, i) => v.indexOf(c) !== i);
    if (twice.length === 0) return v as number[];
    ctx.addIssue({
      code: "custom",
      message: `got ${JSON.stringify(v)}: core ${[...new Set(twice)].join(", ")} listed more than once (expected each core once, e.g. [0, 1])`,
    });
    return z.NEVER;
  }
  ctx.addIssue({
    code: "custom",
    message: `got ${JSON.stringify(v)} (expected a number of cores, all, or a list such as [0, 1])`,
  });
  return z.NEVER;
});

export const schema = z.strictObject({
  load,
  cores: cores.optional(),
  mode: z.enum(["hold", "add"]).optional(),
  duration: duration.optional(),
});
export type Params = z.infer<typeof schema>;
