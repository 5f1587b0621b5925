import type { FaultKind } from "../core/fault-kind.js";

/** Lets a module declare its kind with its own parameter type and register it beside the others. */
export function defineFaultKind<P>(kind: FaultKind<P>): FaultKind<unknown> {
  return kind as unknown as FaultKind<unknown>;
}
