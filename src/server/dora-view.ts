import { dora, doraDistributions, type FailureDenominator, type RecoveryStart } from "../core/dora.js";
import { parseLongDuration } from "../documents/risk-catalog.js";
import { deploymentRecords } from "../report/dora.js";
import type { Store } from "../store/store.js";

/**
 * `GET /api/dora?since=90d&denominator=attempts&recoveryStart=deploy&service=orders`: the four keys as
 * `withstand dora` computes them, with their week-by-week values and spreads for the dashboard's panel.
 */
export async function doraView(
  store: Store,
  q: URLSearchParams,
  now = new Date(),
): Promise<{ status: number; body: unknown }> {
  const since = q.get("since") ?? "90d";
  const sinceMs = parseLongDuration(since);
  if (sinceMs === undefined || sinceMs <= 0)
    return { status: 400, body: { error: `since ${since}: expected a duration such as 90d or 12w` } };
  const denominator = (q.get("denominator") ?? "attempts") as FailureDenominator;
  if (!["attempts", "deployments"].includes(denominator))
    return { status: 400, body: { error: `denominator ${denominator}: expected attempts or deployments` } };
  const recoveryStart = (q.get("recoveryStart") ?? "deploy") as RecoveryStart;
  if (!["deploy", "rollback"].includes(recoveryStart))
    return { status: 400, body: { error: `recoveryStart ${recoveryStart}: expected deploy or rollback` } };
  const from = new Date(now.getTime() - sinceMs);
  const records = await deploymentRecords(store, from, q.get("service") ?? undefined);
  const o = { from, to: now, denominator, recoveryStart };
  return { status: 200, body: { since, ...dora(records, o), distributions: doraDistributions(records, o) } };
}
