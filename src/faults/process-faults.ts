import type { FaultSpec } from "../core/experiment.js";

type ProcessFaultSpec = Extract<FaultSpec, { kind: "process-kill" | "process-pause" }>;

import type { FaultRecord } from "../core/journal.js";
import type { SafetyRegistry } from "../safety/registry.js";
import { resolveTargets } from "./targets.js";

export interface FaultOutcome {
  record: FaultRecord;
  output: {
    fault: string;
    targets: { pid: number; command: string }[];
    signal: string;
    revert_after_ms?: number;
  };
}

/** Process faults: kill (not revertible) and pause (SIGSTOP, reverted with SIGCONT). */
export async function injectProcessFault(
  fault: ProcessFaultSpec,
  activity: string,
  loc: string,
  registry: SafetyRegistry,
): Promise<FaultOutcome> {
  const targets = resolveTargets(fault.select, fault.selection, loc);
  const shown = targets.map((t) => ({ pid: t.pid, command: t.command }));
  if (fault.kind === "process-kill") {
    const record = await registry.inject(
      { kind: fault.kind, activity, targets: shown, revert: { type: "none" } },
      () => {
        for (const t of targets) process.kill(t.pid, fault.signal);
      },
    );
    return { record, output: { fault: fault.kind, targets: shown, signal: fault.signal } };
  }
  const record = await registry.inject(
    {
      kind: fault.kind,
      activity,
      targets: shown,
      revert: {
        type: "signal",
        signal: "SIGCONT",
        targets: targets.map((t) => ({ pid: t.pid, starttime: t.starttime })),
      },
    },
    () => {
      for (const t of targets) process.kill(t.pid, "SIGSTOP");
    },
  );
  if (fault.durationMs !== undefined) registry.revertAfter(record.id, fault.durationMs);
  return {
    record,
    output: {
      fault: fault.kind,
      targets: shown,
      signal: "SIGSTOP",
      ...(fault.durationMs !== undefined ? { revert_after_ms: fault.durationMs } : {}),
    },
  };
}
