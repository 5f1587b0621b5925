import { z } from "zod";
import { duration } from "../schema.js";
import { selectionFields } from "./process-selection.js";

/** libfaketime's relative offsets: +2h, -30d, +90 (seconds), +1.5y. */
export const offset = z.unknown().transform((v, ctx) => {
  const text = typeof v === "number" ? (v >= 0 ? `+${v}` : String(v)) : v;
  if (typeof text === "string" && /^[+-]\d+(\.\d+)?[smhdy]?$/.test(text.trim())) return text.trim();
  ctx.addIssue({
    code: "custom",
    message: `got ${JSON.stringify(v)} (expected an offset such as "+2h", "-30d", "+90s" or "+1y")`,
  });
  return z.NEVER;
});

export const schema = z.strictObject({
  offset,
  /** A clock name (`withstand exec --as NAME`), or processes whose clock to move. */
  clock: z.string().optional(),
  select: selectionFields.select.optional(),
  duration: duration.optional(),
});
export type Params = z.infer<typeof schema>;
