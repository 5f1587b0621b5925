import { z } from "zod";

/**
 * `spec.flag` of a Rollout: the canary is a variant of a flag on a withstand flags server. The same
 * schema validates the document (`withstand validate`), reads it for the run, and is the JSON Schema
 * editors get (documents/schemas.ts).
 */
export const FLAG_ROLLOUT = z
  .strictObject({
    server: z
      .string()
      .regex(/^https?:\/\/[^/]+\/?$/, "expected http://HOST:PORT of withstand flags serve")
      .meta({ description: "the flag server (withstand flags serve), e.g. http://127.0.0.1:8016" }),
    key: z.string().min(1, "expected a flag key, e.g. new-pricing").meta({ description: "the flag's key" }),
    variant: z
      .string()
      .min(1, "expected the variant to roll out, e.g. on")
      .meta({ description: "the variant that setWeight gives its share of the flag's fractional" }),
    baseline: z
      .string()
      .min(1, "expected a variant name")
      .optional()
      .meta({ description: "the variant the rest get (default: the flag's default variant)" }),
    token: z
      .string()
      .min(1, "expected a token of the flag server")
      .optional()
      .meta({ description: "a token of the flag server; WITHSTAND_FLAGS_TOKEN when left out" }),
  })
  .meta({
    id: "withstand-flag-rollout",
    description: "roll out a flag variant instead of a process: setWeight sets its fractional share",
  });

export type FlagRolloutParams = z.infer<typeof FLAG_ROLLOUT>;
