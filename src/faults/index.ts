import type { FaultKind } from "../core/fault-kind.js";
import { clockSkew } from "./clock-skew.js";
import { cpuStress } from "./cpu-stress.js";
import { diskFill } from "./disk-fill.js";
import { dns } from "./dns.js";
import { flag } from "./flag.js";
import { httpFault } from "./http-fault.js";
import { labBandwidth } from "./lab-bandwidth.js";
import { labBlackhole } from "./lab-blackhole.js";
import { labLoss } from "./lab-loss.js";
import { labPartition } from "./lab-partition.js";
import { labZoneDown } from "./lab-zone-down.js";
import { memoryStress } from "./memory-stress.js";
import { network } from "./network.js";
import { processKill } from "./process-kill.js";
import { processPause } from "./process-pause.js";

/** Every fault kind, by its `kind:` name. A new kind is one module in this folder and one line here. */
export const FAULT_KINDS: ReadonlyMap<string, FaultKind> = new Map(
  [
    processKill,
    processPause,
    network,
    httpFault,
    cpuStress,
    memoryStress,
    diskFill,
    clockSkew,
    dns,
    flag,
    labPartition,
    labZoneDown,
    labBlackhole,
    labLoss,
    labBandwidth,
  ].map((k) => [k.kind, k]),
);

export function faultKind(name: string): FaultKind | undefined {
  return FAULT_KINDS.get(name);
}
