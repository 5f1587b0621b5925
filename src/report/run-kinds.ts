import type { Check } from "../engine/run-kind.js";
import { RUN_KINDS, runKindList } from "../runs/index.js";
import type { RunDetail } from "../store/store.js";

export type { Check };

/** The pass/fail checks of a run, whatever its kind, from the run kind registry (runs/index.ts). */
export function checksOf(run: RunDetail): Check[] {
  return RUN_KINDS.get(run.kind)?.view.checks(run) ?? [];
}

/** Why the run ended as it did: the journal's reason, else the run-finished event's (every run kind emits one). */
export function reasonOf(run: RunDetail): string {
  if (run.journal) return run.journal.withstand.reason;
  const finished = run.events.findLast((e) => e.type === "run-finished");
  if (finished?.type === "run-finished") return finished.reason;
  const r = run.result as { reason?: string } | null;
  return r?.reason ?? run.outcome ?? run.status;
}

/** The run kinds, for the dashboard's filter (`GET /api/run-kinds`). */
export { runKindList };
