import { z } from "zod";
import { parseSize } from "../../core/size.js";
import { duration } from "../schema.js";

export const size = z.unknown().transform((v, ctx) => {
  const s = parseSize(v);
  if (s && ("percent" in s ? s.percent > 0 : s.bytes > 0)) return s;
  ctx.addIssue({
    code: "custom",
    message: `got ${JSON.stringify(v)} (expected a size such as "512MiB", "2GiB" or "30%" of the machine's memory)`,
  });
  return z.NEVER;
});

export const schema = z.strictObject({ size, ramp: duration.optional(), duration: duration.optional() });
