import type { DeploymentRecord } from "../core/dora.js";
import type { RunSummary, Store } from "../store/store.js";

const DEPLOYED = new Set(["promoted"]);
const FAILED = new Set(["rolled-back", "aborted"]);

function changeOf(result: unknown): { commitTime?: string; revision?: string } {
  const r = result as {
    commitTime?: unknown;
    revision?: unknown;
    metadata?: { commitTime?: unknown };
  } | null;
  const t = r?.commitTime ?? r?.metadata?.commitTime;
  return {
    ...(typeof t === "string" && !Number.isNaN(Date.parse(t)) ? { commitTime: t } : {}),
    ...(typeof r?.revision === "string" && r.revision ? { revision: r.revision } : {}),
  };
}

/**
 * Every finished rollout (and flag rollout) since `since` as a deployment or a failed one, with the
 * change it recorded (`withstand dora` and the dashboard's DORA panel both read them here).
 */
export async function deploymentRecords(
  store: Store,
  since: Date,
  service?: string | undefined,
): Promise<DeploymentRecord[]> {
  const out: DeploymentRecord[] = [];
  for (const kind of ["rollout", "flag-rollout"]) {
    let offset = 0;
    for (;;) {
      const page: RunSummary[] = await store.listRuns({ kind, limit: 500, offset });
      for (const s of page) {
        if (!s.endedAt || Date.parse(s.endedAt) < since.getTime()) continue;
        if (service !== undefined && s.title !== service) continue;
        const outcome = DEPLOYED.has(s.outcome ?? "")
          ? "deployed"
          : FAILED.has(s.outcome ?? "")
            ? "failed"
            : undefined;
        if (!outcome) continue;
        const detail = await store.getRun(s.id);
        out.push({
          id: s.id,
          title: s.title,
          startedAt: s.startedAt,
          endedAt: s.endedAt,
          outcome,
          ...changeOf(detail?.result),
        });
      }
      if (page.length < 500 || page.some((s) => Date.parse(s.startedAt) < since.getTime())) break;
      offset += page.length;
    }
  }
  return out;
}
