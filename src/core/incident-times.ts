import type { RunEvent } from "./events.js";

/** For one injected fault: how long until something noticed, and how long until it was healthy again. */
export interface FaultTimes {
  faultId: string;
  kind: string;
  activity: string;
  injectedAt: string;
  /** Injection → the first failing hypothesis check or probe; undefined: never noticed. */
  detectMs?: number | undefined;
  /** Revert → the first passing check after a failure; undefined: not reverted or never healthy again. */
  recoverMs?: number | undefined;
}

/** A probe's verdict is its tolerance (actions have none, and an action failing notices nothing). */
function failed(e: RunEvent): boolean {
  if (e.type === "hypothesis-checked") return !e.met;
  if (e.type === "activity-finished") return e.toleranceMet === false;
  // A game day's stop condition tripping is a detection.
  if (e.type === "stop-condition-tripped") return true;
  return false;
}

function passed(e: RunEvent): boolean {
  if (e.type === "hypothesis-checked") return e.met;
  if (e.type === "activity-finished") return e.toleranceMet === true;
  return false;
}

/**
 * Time to detect and time to recover for every fault a run injected, from its events alone: a run's
 * probes and hypothesis checks are its detectors (continuous hypotheses and game-day stop conditions
 * make them frequent). Events must be in time order, as the store keeps them.
 */
export function faultTimes(events: readonly RunEvent[]): FaultTimes[] {
  const out: FaultTimes[] = [];
  for (const inj of events) {
    if (inj.type !== "fault-injected") continue;
    const t0 = Date.parse(inj.ts);
    const after = events.filter((e) => Date.parse(e.ts) >= t0);
    const detect = after.find(failed);
    const revert = after.find((e) => e.type === "fault-reverted" && e.faultId === inj.faultId);
    let recoverMs: number | undefined;
    if (detect && revert) {
      const tr = Date.parse(revert.ts);
      const lastFailure = after
        .filter((e) => failed(e) && Date.parse(e.ts) <= Math.max(tr, Date.parse(detect.ts)))
        .at(-1);
      const healed = after.find(
        (e) =>
          passed(e) && Date.parse(e.ts) >= tr && Date.parse(e.ts) >= Date.parse(lastFailure?.ts ?? detect.ts),
      );
      if (healed) recoverMs = Date.parse(healed.ts) - tr;
    }
    out.push({
      faultId: inj.faultId,
      kind: inj.kind,
      activity: inj.activity,
      injectedAt: inj.ts,
      detectMs: detect ? Date.parse(detect.ts) - t0 : undefined,
      recoverMs,
    });
  }
  return out;
}
