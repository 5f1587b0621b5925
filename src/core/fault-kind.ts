import type { z } from "zod";
import type { FaultRegistry, FaultTarget } from "./fault.js";
import type { ServiceLookup } from "./service.js";

/**
 * The interface every fault kind implements (faults/<kind>.ts) and the engine drives. A kind has
 * ONE schema: `validate`, `run --dry-run` and injection all parse the fault with it, so an attribute
 * the kind does not know is an error before anything runs, never a silent no-op.
 */
export interface FaultKind<P = unknown> {
  /** The `kind:` value in documents. */
  readonly kind: string;
  /** One line: what it does and how it is undone, for `--help`, errors and docs. */
  readonly summary: string;
  /** Validates and normalises the fault mapping (without `kind`); unknown keys are errors. */
  readonly schema: z.ZodType<P>;
  /** What would happen, touching nothing (`--dry-run`). */
  describe(params: P, ctx: FaultDryRunContext): Promise<FaultDescription> | FaultDescription;
  /** Registers the fault with the registry (so every exit path reverts it), then applies it. */
  inject(params: P, ctx: FaultContext): Promise<Record<string, unknown>>;
}

export interface FaultDescription {
  /** A sentence: "would SIGSTOP 2 of 4 processes for 10s". */
  text: string;
  /** What it would hit now, when that can be known without touching anything. */
  targets?: FaultTarget[] | undefined;
}

export interface FaultDryRunContext {
  loc: string;
  /** The run-scoped services (fault proxies, the DNS server, ...), each asked for by name. */
  services: ServiceLookup;
}

export interface FaultContext extends FaultDryRunContext {
  /** The activity's name, recorded with the fault. */
  activity: string;
  registry: FaultRegistry;
}

export type { FaultHooks, FaultRegistry } from "./fault.js";
