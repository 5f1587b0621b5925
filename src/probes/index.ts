import type { ProbeKind } from "../core/probe-kind.js";
import { gossProbe, syntheticProbe } from "./check-kinds.js";
import { healthProbe } from "./health-kind.js";
import { httpProbe } from "./http-kind.js";
import { pactProbe } from "./pact-kind.js";
import { processProbe } from "./process-kind.js";

/** Every provider kind, by its `provider.type`. A new kind is one module in this folder and one line here. */
export const PROBE_KINDS: ReadonlyMap<string, ProbeKind> = new Map(
  [httpProbe, processProbe, gossProbe, syntheticProbe, healthProbe, pactProbe].map((k) => [k.type, k]),
);

/** Closes what every kind pools (keep-alive agents) at the end of a run. */
export async function closeProbeKinds(): Promise<void> {
  await Promise.all([...PROBE_KINDS.values()].map((k) => k.close?.()));
}
