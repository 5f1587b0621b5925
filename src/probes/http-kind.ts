import { z } from "zod";
import { durationJsonSchema } from "../core/duration.js";
import type { HttpProviderSpec } from "../core/experiment.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";
import { bool, httpUrl, int, mapping, nonEmpty, oneOrList, seconds } from "../core/values.js";

// The HTTP client (undici's pools) is loaded when a probe first runs: validating a document that names
// an http provider loads none of it.
let loaded: Promise<typeof import("./http.js")> | undefined;
const client = () => {
  loaded ??= import("./http.js");
  return loaded;
};

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const method = nonEmpty("an HTTP method")
  .superRefine((m, ctx) => {
    if (!HTTP_METHODS.includes(m.toUpperCase()))
      ctx.addIssue({
        code: "custom",
        message: `got ${JSON.stringify(m)} (expected one of ${HTTP_METHODS.join(", ")})`,
      });
  })
  .transform((m) => m.toUpperCase());

/** A number of seconds, or `[connect, read]` (requests' form). */
const one = seconds("seconds");
const timeout = z
  .unknown()
  .transform((v, ctx): number | [number, number] | undefined => {
    const read = (x: unknown, path: number[]): number | undefined => {
      const r = one.safeParse(x);
      if (r.success) return r.data;
      for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path });
      return undefined;
    };
    if (!Array.isArray(v)) return read(v, []);
    if (v.length !== 2) {
      ctx.addIssue({
        code: "custom",
        message: `got ${v.length} values (expected seconds, or [connect, read])`,
      });
      return undefined;
    }
    const connect = read(v[0], [0]);
    const rd = read(v[1], [1]);
    return connect === undefined || rd === undefined ? undefined : [connect, rd];
  })
  .meta({
    anyOf: [durationJsonSchema(), { type: "array", items: durationJsonSchema(), minItems: 2, maxItems: 2 }],
  });

/** Chaos Toolkit's http provider, with its field names and semantics. */
const schema = z
  .strictObject({
    type: z.literal("http"),
    url: httpUrl("an http(s) URL"),
    method: method.optional(),
    headers: mapping("a mapping of header names to values").optional(),
    arguments: z.unknown().optional(),
    timeout: timeout.optional(),
    verify_tls: bool.optional(),
    expected_status: oneOrList(int("an HTTP status")).optional(),
    max_retries: int("a count").optional(),
    // Read by the activity (the scopes whose secrets it may use).
    secrets: z
      .unknown()
      .meta({ type: "array", items: { type: "string" } })
      .optional(),
  })
  .transform(
    (p): HttpProviderSpec => ({
      type: "http",
      url: p.url,
      method: p.method,
      headers:
        p.headers &&
        Object.fromEntries(
          Object.entries(p.headers).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
        ),
      arguments: p.arguments,
      timeout: p.timeout,
      verify_tls: p.verify_tls,
      expected_status: p.expected_status,
      max_retries: p.max_retries,
    }),
  );

/** An HTTP request (Chaos Toolkit's `http` provider): its output is {status, headers, body}. */
export const httpProbe: ProbeKind = defineProbeKind<HttpProviderSpec>({
  type: "http",
  summary: "an HTTP request; output {status, headers, body}",
  schema,
  describe: (p) => `would ${p.method ?? "GET"} ${p.url}`,
  execute: async (p, signal) => (await client()).runHttpProvider(p, signal),
  succeeded: (out) => ((out as { status?: number } | null)?.status ?? 600) < 400,
  close: async () => {
    if (loaded !== undefined) await (await loaded).closeHttpAgents();
  },
});
