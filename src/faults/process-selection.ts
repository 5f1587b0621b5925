import type { ProcessSelector } from "../core/experiment.js";
import { processTarget } from "../core/fault.js";
import type { FaultDescription } from "../core/fault-kind.js";
import type { SelectionMode } from "../core/select.js";
import { matchProcesses } from "./targets.js";

// The selection's schema lives with the kinds' schemas (no execution code): validating reads only that.
export { checkSelection, selectionFields, selectionOf } from "./schemas/process-selection.js";

/** What a process fault would hit now, read from /proc, touching nothing. */
export function describeProcessFault(
  verb: string,
  select: ProcessSelector,
  selection: SelectionMode,
): FaultDescription {
  const { matched } = matchProcesses(select);
  const how =
    selection.mode === "fixed" || selection.mode === "percent"
      ? `${selection.mode} ${selection.value}`
      : selection.mode;
  return {
    text: `would ${verb} ${how}`,
    targets: matched.map((m) => processTarget(m.pid, m.command)),
  };
}
