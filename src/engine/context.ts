import type { EventBus, Phase } from "../core/events.js";
/** Everything an activity needs while a run is in progress. */
import type { ProbeServices } from "../core/probe-kind.js";
import type { ServiceLookup } from "../core/service.js";
import type { Window } from "../core/window.js";
import type { SafetyRegistry } from "../safety/registry.js";

export interface RunContext {
  runId: string;
  bus: EventBus;
  registry: SafetyRegistry;
  native: boolean;
  dryRun: boolean;
  /** Load may target non-loopback hosts only when the user said so (--allow-remote). */
  allowRemote: boolean;
  configuration: Record<string, unknown>;
  secrets: Record<string, unknown>;
  secretValues: string[];
  /** Outputs saved with `save: name`. */
  saved: Record<string, unknown>;
  /** Windows of each load activity, by activity name. */
  loads: Map<string, { windows: Window[]; dropped: number }>;
  /** The run-scoped services the document declares (fault proxies, the DNS server), by name. */
  services: ServiceLookup;
  /** What probe kinds ask of the engine (Gossfiles, synthetics), paths from the experiment's directory. */
  probes: ProbeServices;
}

export { sleep } from "../core/sleep.js";
export type { Phase };
