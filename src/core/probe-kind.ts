import type { z } from "zod";

/**
 * The interface every provider (probe) kind implements (probes/<kind>.ts) and the engine drives. A kind
 * has ONE schema: `validate`, `--dry-run`, the run and `withstand schema` all read the provider mapping
 * with it. Provider mappings keep Chaos Toolkit's semantics: in a Chaos Toolkit file an unknown key is
 * ignored with a warning; in a native document it is an error.
 */
export interface ProbeKind<P = unknown> {
  /** The `provider.type` value. */
  readonly type: string;
  readonly summary: string;
  /** The provider mapping (with `type`, a strict object) read into what `execute` takes. */
  readonly schema: z.ZodType<P>;
  /** Warnings about a mapping the schema accepts (a deprecated form): path within the provider, message. */
  lint?(raw: Record<string, unknown>): { path: (string | number)[]; message: string }[];
  /** What would happen, touching nothing (`--dry-run`). */
  describe(provider: P): string;
  /** Runs it; throws ActivityFailure for a failed activity (timeout, refused, bad status). */
  execute(provider: P, signal: AbortSignal, services: ProbeServices): Promise<unknown>;
  /** Whether an output counts as success for a `{type: probe}` tolerance (HTTP < 400, exit 0). */
  succeeded(output: unknown): boolean;
  /** Releases what the kind pools across activities (keep-alive agents), at the end of a run. */
  close?(): Promise<void>;
}

/**
 * What a probe kind may ask of the engine without importing what the engine wires: Gossfiles and
 * synthetics are read and run by checks/, which itself reads documents (that list the probe kinds).
 */
export interface ProbeServices {
  /** Runs a Gossfile's checks: every test's verdict in one line each, failed ones first. */
  runGossfile(
    file: string,
    vars: Readonly<Record<string, unknown>>,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; count: number; failed: number; skipped: number; failures: string[] }>;
  /** Runs a Synthetic file once (not recorded as a run of its own: the experiment records it). */
  runSynthetic(
    file: string,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; reason: string; durationMs: number; steps: unknown[] }>;
  /** Verifies a provider against pact files (not recorded as a run of its own). */
  verifyPacts(
    files: readonly string[],
    providerBaseUrl: string,
    filters: { consumer?: string | undefined; stateChangeUrl?: string | undefined },
    signal: AbortSignal,
  ): Promise<PactProbeOutput>;
}

/** What a pact probe outputs: the verdict and every broken interaction with its first mismatches. */
export interface PactProbeOutput {
  ok: boolean;
  verified: number;
  failed: number;
  broken: { consumer: string; interaction: string; mismatches: string[] }[];
}

/** Lets a module declare its kind with its own provider type and register it beside the others. */
export function defineProbeKind<P>(kind: ProbeKind<P>): ProbeKind<unknown> {
  return kind as unknown as ProbeKind<unknown>;
}
