import { z } from "zod";
import { formatDurationExact, MAX_DURATION_MS } from "../core/duration.js";
import type { ToxicBody } from "../core/experiment.js";
import { unknownKeyMessage } from "../core/suggest.js";
import { int, nonEmpty, num } from "./schema.js";

/**
 * The attributes each toxic takes in an experiment's fault, checked when the document is validated.
 * Toxiproxy's own API ignores attributes it does not know and takes a missing one as 0, so a typo
 * there is a latency of 0 ms; in a fault that would be a no-op reported as a system that withstood
 * it. Here an unknown attribute is an error, and so is a missing one that would make the toxic do nothing.
 */
type Attr = { schema: z.ZodType<unknown>; required?: true };
/** Milliseconds, at most the project's longest duration (a larger one overflows the proxy's timers). */
const ms = (what: string): Attr => ({ schema: bounded(`${what} in milliseconds`, MAX_DURATION_MS) });
/** Microseconds (slicer's delay), with the same bound. */
const us = (what: string): Attr => ({ schema: bounded(`${what} in microseconds`, MAX_DURATION_MS * 1000) });
function bounded(what: string, max: number): z.ZodType<number> {
  return int(what).superRefine((v, ctx) => {
    if (v > max)
      ctx.addIssue({
        code: "custom",
        message: `got ${v} (expected ${what}, at most ${max}: ${formatDurationExact(MAX_DURATION_MS)} is the longest duration withstand waits for)`,
      });
  });
}
const required = (a: Attr): Attr => ({ ...a, required: true });

const HTTP_MATCH = z.strictObject({
  method: z.string().optional(),
  path: z.string().optional(),
  header: z.strictObject({ name: z.string(), value: z.string().optional() }).optional(),
});
const percentage: Attr = {
  schema: num("a percentage 0-100").refine((v) => v >= 0 && v <= 100, "expected a percentage 0-100"),
};

export const TOXIC_ATTRIBUTES: Record<"network" | "http-fault", Record<string, Record<string, Attr>>> = {
  network: {
    latency: { latency: required(ms("the delay")), jitter: ms("the jitter") },
    bandwidth: { rate: required({ schema: int("a rate in KB/s") }) },
    slow_close: { delay: required(ms("the delay before close")) },
    timeout: { timeout: ms("how long before the connection is closed (0: never)") },
    reset_peer: { timeout: ms("how long before the reset") },
    slicer: {
      average_size: required({ schema: int("bytes per slice", 1) }),
      size_variation: { schema: int("bytes of variation") },
      delay: us("the delay between slices"),
    },
    limit_data: { bytes: required({ schema: int("bytes before the connection is closed") }) },
    noop: {},
  },
  "http-fault": {
    http_abort: {
      status: { schema: int("an HTTP status 100-599", 100).refine((v) => v <= 599, "expected 100-599") },
      percentage,
      match: { schema: HTTP_MATCH },
    },
    http_delay: { latency: required(ms("the delay")), percentage, match: { schema: HTTP_MATCH } },
  },
};

/** A toxic in a `network` or `http-fault` fault: Toxiproxy's body, with its attributes checked by type. */
export function toxicSchema(kind: "network" | "http-fault"): z.ZodType<ToxicBody> {
  const table = TOXIC_ATTRIBUTES[kind];
  const types = Object.keys(table) as [string, ...string[]];
  return z
    .strictObject({
      type: z.enum(types),
      name: nonEmpty("a toxic name").optional(),
      stream: z
        .string()
        .transform((s) => s.toLowerCase())
        .pipe(z.enum(["upstream", "downstream"]))
        .optional(),
      toxicity: num("a probability 0-1")
        .refine((v) => v >= 0 && v <= 1, "expected a probability 0-1")
        .optional(),
      // Not z.record: it drops a `__proto__` key, which must be reported like any unknown attribute.
      attributes: z
        .custom<Record<string, unknown>>(
          (v) => typeof v === "object" && v !== null && !Array.isArray(v),
          "expected a mapping of attribute names to values",
        )
        .optional(),
    })
    .transform((t, ctx) => {
      const known = table[t.type] ?? {};
      const attributes: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(t.attributes ?? {})) {
        const attr = Object.hasOwn(known, key) ? known[key] : undefined;
        if (!attr) {
          ctx.addIssue({
            code: "custom",
            path: ["attributes", key],
            message: `${unknownKeyMessage(key, Object.keys(known)).replace("key", `attribute of a ${t.type} toxic`)}`,
          });
          continue;
        }
        const r = attr.schema.safeParse(value);
        if (r.success) attributes[key] = r.data;
        else
          for (const issue of r.error.issues)
            ctx.addIssue({
              code: "custom",
              path: ["attributes", key, ...issue.path],
              message: issue.message,
            });
      }
      for (const [key, attr] of Object.entries(known))
        if (attr.required && t.attributes?.[key] === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["attributes"],
            message: `a ${t.type} toxic needs ${key} (without it the toxic does nothing)`,
          });
      return {
        type: t.type,
        name: t.name,
        stream: t.stream,
        toxicity: t.toxicity,
        attributes,
      } satisfies ToxicBody;
    });
}
