import { z } from "zod";
import { duration, int, nonEmpty } from "../schema.js";

export const schema = z
  .strictObject({
    /** The flag server, by URL (a `withstand flags serve`), e.g. http://127.0.0.1:8016. */
    server: nonEmpty("the URL of a withstand flags server, e.g. http://127.0.0.1:8016"),
    flag: nonEmpty("a flag key, e.g. recommendations"),
    variant: nonEmpty("a variant name of the flag, e.g. off").optional(),
    state: z.enum(["ENABLED", "DISABLED"]).optional(),
    weights: z.record(z.string(), int("a fractional weight")).optional(),
    /** A token of the flag server; WITHSTAND_FLAGS_TOKEN when left out (keep tokens out of documents). */
    token: nonEmpty("a token of the flag server").optional(),
    duration: duration.optional(),
  })
  .superRefine(
    (p, ctx) => {
      if (!/^https?:\/\/[^/]+\/?$/.test(p.server))
        ctx.addIssue({
          code: "custom",
          path: ["server"],
          message: `got ${JSON.stringify(p.server)} (expected http://HOST:PORT of withstand flags serve)`,
        });
      if (p.variant === undefined && p.state === undefined && p.weights === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["variant"],
          message:
            "is required unless state or weights is given (expected the variant to switch to, e.g. off)",
        });
    },
    { when: () => true },
  );
export type Params = z.infer<typeof schema>;
