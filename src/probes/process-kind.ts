import { z } from "zod";
import type { ProcessProviderSpec } from "../core/experiment.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";
import { isRecord } from "../core/reader.js";
import { nonEmpty, seconds } from "../core/values.js";

/** A string (run through a shell), a list (no shell), or CTK's deprecated mapping {"--flag": value}. */
const args = z
  .union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())], {
    error: "expected a string (run through a shell) or a list (no shell)",
  })
  .transform((a): string | string[] => {
    if (typeof a === "string") return a;
    if (Array.isArray(a)) return a.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
    return Object.entries(a).flatMap(([k, v]) => (v === null || v === "" ? [k] : [k, String(v)]));
  });

const clock = nonEmpty("a clock name for clock-skew faults").superRefine((c, ctx) => {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(c))
    ctx.addIssue({ code: "custom", message: `got ${JSON.stringify(c)} (expected letters, digits, _ . -)` });
});

/** Chaos Toolkit's process provider, with its field names and semantics. */
const schema = z
  .strictObject({
    type: z.literal("process"),
    path: nonEmpty("the program to run"),
    arguments: args.optional(),
    timeout: seconds("seconds").optional(),
    // Read by the activity (the scopes whose secrets it may use).
    secrets: z
      .unknown()
      .meta({ type: "array", items: { type: "string" } })
      .optional(),
    clock: clock.optional(),
  })
  .transform(
    (p): ProcessProviderSpec => ({
      type: "process",
      path: p.path,
      arguments: p.arguments,
      timeout: p.timeout,
      ...(p.clock ? { clock: p.clock } : {}),
    }),
  );

/** A program run to completion (Chaos Toolkit's `process` provider): its output is {status, stdout, stderr}. */
export const processProbe: ProbeKind = defineProbeKind<ProcessProviderSpec>({
  type: "process",
  summary: "a program run to completion; output {status, stdout, stderr}",
  schema,
  lint: (raw) =>
    isRecord(raw.arguments)
      ? [
          {
            path: ["arguments"],
            message:
              "the mapping form of process arguments is deprecated in Chaos Toolkit (expected a string or a list)",
          },
        ]
      : [],
  describe: (p) => `would run ${p.path}`,
  // Loaded when a probe first runs (it reaches the clocks in the state directory): validating loads none of it.
  execute: async (p, signal) => (await import("./process.js")).runProcessProvider(p, signal),
  succeeded: (out) => (out as { status?: number } | null)?.status === 0,
});
