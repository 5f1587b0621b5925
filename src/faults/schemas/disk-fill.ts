import { z } from "zod";
import { parseSize } from "../../core/size.js";
import { bool, duration, nonEmpty } from "../schema.js";

/** A value as the user wrote it: JSON would show Infinity (from 1e309) as null. */
const shown = (v: unknown) => (typeof v === "number" ? String(v) : JSON.stringify(v));

export const sizeOf = (what: string, percentOnly = false) =>
  z.unknown().transform((v, ctx) => {
    const s = parseSize(v);
    if (s && (!percentOnly || "percent" in s)) return s;
    ctx.addIssue({ code: "custom", message: `got ${shown(v)} (expected ${what})` });
    return z.NEVER;
  });

export const schema = z
  .strictObject({
    path: nonEmpty("a directory on the file system to fill"),
    fill: sizeOf('a percentage of the file system from 0% to 100%, e.g. "95%"', true).optional(),
    free: sizeOf('the space to leave free, e.g. "100MiB"').optional(),
    size: sizeOf('the size of the fill file, e.g. "1GiB"').optional(),
    force: bool.optional(),
    duration: duration.optional(),
  })
  .superRefine(
    (p, ctx) => {
      const given = [p.fill, p.free, p.size].filter((x) => x !== undefined).length;
      if (given !== 1)
        ctx.addIssue({
          code: "custom",
          message: "expected exactly one of fill (e.g. 95%), free (e.g. 100MiB) or size (e.g. 1GiB)",
        });
    },
    { when: () => true },
  );
export type Params = z.infer<typeof schema>;
