import { ActivityFailure } from "../core/errors.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";
import { checkKeys, isRecord, type Reporter, readString } from "../core/reader.js";

const GOSS_KEYS = ["type", "file", "vars"];
const SYNTHETIC_KEYS = ["type", "file"];

interface GossProvider {
  type: "goss";
  file: string;
  vars: Record<string, unknown>;
}

interface SyntheticProvider {
  type: "synthetic";
  file: string;
}

function parseGoss(raw: Record<string, unknown>, r: Reporter): GossProvider | undefined {
  checkKeys(raw, GOSS_KEYS, [], r);
  const file = readString(raw.file, ["file"], r, "a Gossfile path");
  if (raw.vars !== undefined && !isRecord(raw.vars))
    r.error(["vars"], "expected a mapping of template variables");
  return file === undefined ? undefined : { type: "goss", file, vars: isRecord(raw.vars) ? raw.vars : {} };
}

/**
 * A Gossfile as a steady-state probe: `provider: {type: goss, file: goss.yaml}`. Its output lists
 * every failed test; it succeeds when none failed, so `tolerance: {type: probe}` reads it as Goss would.
 */
export const gossProbe: ProbeKind = defineProbeKind<GossProvider>({
  type: "goss",
  keys: GOSS_KEYS,
  summary: "a Gossfile's checks; output {ok, count, failed, skipped, failures}",
  parse: parseGoss,
  describe: (p) => `would check the system against ${p.file}`,
  execute: (p, signal, services) => services.runGossfile(p.file, p.vars, signal),
  succeeded: (out) => (out as { ok?: boolean } | null)?.ok === true,
});

/** A synthetic transaction as a probe: `provider: {type: synthetic, file: place-order.yaml}`. */
export const syntheticProbe: ProbeKind = defineProbeKind<SyntheticProvider>({
  type: "synthetic",
  keys: SYNTHETIC_KEYS,
  summary: "a Synthetic transaction run once; output {ok, reason, durationMs, steps}",
  parse(raw, r) {
    checkKeys(raw, SYNTHETIC_KEYS, [], r);
    const file = readString(raw.file, ["file"], r, "a Synthetic file path");
    return file === undefined ? undefined : { type: "synthetic", file };
  },
  describe: (p) => `would run the synthetic transaction ${p.file}`,
  async execute(p, signal, services) {
    const out = await services.runSynthetic(p.file, signal);
    if (!out.ok) throw new ActivityFailure(`synthetic ${p.file}: ${out.reason}`, out);
    return out;
  },
  succeeded: (out) => (out as { ok?: boolean } | null)?.ok === true,
});
