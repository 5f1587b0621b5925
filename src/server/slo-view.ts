import type { Slo } from "../core/slo-model.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFile } from "../documents/openslo.js";
import { sourceFor, storeReader } from "../metrics/index.js";
import { type ObjectiveStatus, objectiveStatus } from "../slo/evaluate.js";
import type { Store } from "../store/store.js";

export interface SloView {
  status: ObjectiveStatus;
  /** Burn rate over 5 minutes, once a minute for the last hour (Pyrra's burn-rate graph). */
  burn: { t: number; burn: number }[];
}

/** Every objective of every --slo file at `at`, with its recent burn-rate history. */
export async function sloViews(
  files: readonly string[],
  store: Store,
  at = Date.now(),
): Promise<{ slos: SloView[]; errors: string[] }> {
  const errors: string[] = [];
  const slos: SloView[] = [];
  const reader = storeReader((series, from, to) => store.windowsBetween(series, from, to));
  for (const file of files) {
    const loaded = await loadOpenSloFile(file);
    if (hasErrors(loaded.diagnostics)) {
      errors.push(...loaded.diagnostics.map(formatDiagnostic));
      continue;
    }
    for (const slo of loaded.slos as Slo[]) {
      try {
        const source = sourceFor(slo, reader);
        for (const objective of slo.objectives) {
          const status = await objectiveStatus(slo, objective, source, at);
          const burn: SloView["burn"] = [];
          const budget = 1 - objective.target;
          for (let m = 60; m >= 0; m--) {
            const t = at - m * 60_000;
            const c = await source.counts(objective, t - 5 * 60_000, t);
            const ratio = c.total > 0 ? 1 - c.good / c.total : 0;
            burn.push({ t, burn: budget > 0 ? ratio / budget : 0 });
          }
          slos.push({ status, burn });
        }
      } catch (err) {
        errors.push(`${slo.loc}: ${slo.name}: ${(err as Error).message}`);
      }
    }
  }
  return { slos, errors };
}
