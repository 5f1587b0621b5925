import type { z } from "zod";
import { schema as clockSkew } from "./clock-skew.js";
import { schema as cpuStress } from "./cpu-stress.js";
import { schema as diskFill } from "./disk-fill.js";
import { schema as dns } from "./dns.js";
import { schema as flag } from "./flag.js";
import { schema as httpFault } from "./http-fault.js";
import { bandwidthSchema, blackholeSchema, lossSchema, partitionSchema, zoneDownSchema } from "./lab-net.js";
import { schema as memoryStress } from "./memory-stress.js";
import { schema as network } from "./network.js";
import { schema as processKill } from "./process-kill.js";
import { schema as processPause } from "./process-pause.js";

/** What validating a fault needs of its kind: its name and its one schema. */
export interface FaultSchema {
  readonly kind: string;
  readonly schema: z.ZodType;
}

/**
 * Every fault kind's schema by its `kind:` name, without the kinds' execution code: documents/ reads
 * these, so validating a file loads no stressor, proxy or /proc machinery. The registry
 * (faults/index.ts) gives each kind this very schema object; a unit test checks the two agree.
 */
export const FAULT_SCHEMAS: ReadonlyMap<string, FaultSchema> = new Map(
  (
    [
      ["process-kill", processKill],
      ["process-pause", processPause],
      ["network", network],
      ["http-fault", httpFault],
      ["cpu-stress", cpuStress],
      ["memory-stress", memoryStress],
      ["disk-fill", diskFill],
      ["clock-skew", clockSkew],
      ["dns", dns],
      ["flag", flag],
      ["partition", partitionSchema],
      ["zone-down", zoneDownSchema],
      ["blackhole", blackholeSchema],
      ["loss", lossSchema],
      ["bandwidth", bandwidthSchema],
    ] as const
  ).map(([kind, schema]) => [kind, { kind, schema: schema as z.ZodType }]),
);

export function faultSchema(name: string): FaultSchema | undefined {
  return FAULT_SCHEMAS.get(name);
}
