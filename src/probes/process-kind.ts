import type { ProcessProviderSpec } from "../core/experiment.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";
import { checkKeys, isRecord, type Reporter, readNumber, readString } from "../core/reader.js";

const PROCESS_KEYS = ["type", "path", "arguments", "timeout", "secrets", "clock"];

/** Chaos Toolkit's process provider, with its field names and semantics. */
function parse(raw: Record<string, unknown>, r: Reporter): ProcessProviderSpec | undefined {
  checkKeys(raw, PROCESS_KEYS, [], r);
  const path = readString(raw.path, ["path"], r, "the program to run");
  let args: string | string[] | undefined;
  if (typeof raw.arguments === "string") args = raw.arguments;
  else if (Array.isArray(raw.arguments))
    args = raw.arguments.map((a) => (typeof a === "string" ? a : JSON.stringify(a)));
  else if (isRecord(raw.arguments)) {
    // CTK's deprecated dict form: {"--flag": value} becomes ["--flag", "value"].
    r.warn(
      ["arguments"],
      "the mapping form of process arguments is deprecated in Chaos Toolkit (expected a string or a list)",
    );
    args = Object.entries(raw.arguments).flatMap(([k, v]) => (v === null || v === "" ? [k] : [k, String(v)]));
  } else if (raw.arguments !== undefined)
    r.error(["arguments"], "expected a string (run through a shell) or a list (no shell)");
  const timeout = raw.timeout === undefined ? undefined : readNumber(raw.timeout, ["timeout"], r, "seconds");
  let clock: string | undefined;
  if (raw.clock !== undefined) {
    clock = readString(raw.clock, ["clock"], r, "a clock name for clock-skew faults");
    if (clock !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(clock))
      r.error(["clock"], `got ${JSON.stringify(clock)} (expected letters, digits, _ . -)`);
  }
  if (path === undefined) return undefined;
  return { type: "process", path, arguments: args, timeout, ...(clock ? { clock } : {}) };
}

/** A program run to completion (Chaos Toolkit's `process` provider): its output is {status, stdout, stderr}. */
export const processProbe: ProbeKind = defineProbeKind<ProcessProviderSpec>({
  type: "process",
  keys: PROCESS_KEYS,
  summary: "a program run to completion; output {status, stdout, stderr}",
  parse,
  describe: (p) => `would run ${p.path}`,
  // Loaded when a probe first runs (it reaches the clocks in the state directory): validating loads none of it.
  execute: async (p, signal) => (await import("./process.js")).runProcessProvider(p, signal),
  succeeded: (out) => (out as { status?: number } | null)?.status === 0,
});
