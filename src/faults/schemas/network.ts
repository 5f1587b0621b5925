import { z } from "zod";
import { bool, duration, nonEmpty } from "../schema.js";
import { toxicSchema } from "../toxic-schema.js";

export const schema = z
  .strictObject({
    proxy: nonEmpty("the name of a proxy (from proxies: or the proxy API)"),
    toxic: toxicSchema("network").optional(),
    down: bool.optional(),
    duration: duration.optional(),
  })
  .superRefine(
    (f, ctx) => {
      if (f.toxic === undefined && f.down !== true)
        ctx.addIssue({
          code: "custom",
          message: "expected a toxic {type: latency|bandwidth|...} or down: true",
        });
    },
    { when: () => true },
  );
