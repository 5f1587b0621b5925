import { z } from "zod";
import { ActivityFailure } from "../core/errors.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";
import { mapping, nonEmpty } from "../core/values.js";

interface GossProvider {
  type: "goss";
  file: string;
  vars: Record<string, unknown>;
}

interface SyntheticProvider {
  type: "synthetic";
  file: string;
}

const gossSchema = z
  .strictObject({
    type: z.literal("goss"),
    file: nonEmpty("a Gossfile path"),
    vars: mapping("a mapping of template variables").optional(),
  })
  .transform((p): GossProvider => ({ type: "goss", file: p.file, vars: p.vars ?? {} }));

const syntheticSchema = z
  .strictObject({ type: z.literal("synthetic"), file: nonEmpty("a Synthetic file path") })
  .transform((p): SyntheticProvider => ({ type: "synthetic", file: p.file }));

/**
 * A Gossfile as a steady-state probe: `provider: {type: goss, file: goss.yaml}`. Its output lists
 * every failed test; it succeeds when none failed, so `tolerance: {type: probe}` reads it as Goss would.
 */
export const gossProbe: ProbeKind = defineProbeKind<GossProvider>({
  type: "goss",
  summary: "a Gossfile's checks; output {ok, count, failed, skipped, failures}",
  schema: gossSchema,
  describe: (p) => `would check the system against ${p.file}`,
  execute: (p, signal, services) => services.runGossfile(p.file, p.vars, signal),
  succeeded: (out) => (out as { ok?: boolean } | null)?.ok === true,
});

/** A synthetic transaction as a probe: `provider: {type: synthetic, file: place-order.yaml}`. */
export const syntheticProbe: ProbeKind = defineProbeKind<SyntheticProvider>({
  type: "synthetic",
  summary: "a Synthetic transaction run once; output {ok, reason, durationMs, steps}",
  schema: syntheticSchema,
  describe: (p) => `would run the synthetic transaction ${p.file}`,
  async execute(p, signal, services) {
    const out = await services.runSynthetic(p.file, signal);
    if (!out.ok) throw new ActivityFailure(`synthetic ${p.file}: ${out.reason}`, out);
    return out;
  },
  succeeded: (out) => (out as { ok?: boolean } | null)?.ok === true,
});
