import {
  type DeploymentRecord,
  type DoraReport,
  dora,
  type FailureDenominator,
  type RecoveryStart,
} from "../core/dora.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { parseLongDuration } from "../documents/risk-catalog.js";
import { openStore } from "../store/open.js";
import type { RunSummary, Store } from "../store/store.js";
import { failUsage } from "./fail.js";

export interface DoraFlags {
  since?: string;
  denominator?: string;
  recoveryStart?: string;
  service?: string;
  json?: boolean;
  store?: string;
}

const DEPLOYED = new Set(["promoted"]);
const FAILED = new Set(["rolled-back", "aborted"]);

function commitTimeOf(result: unknown): string | undefined {
  const r = result as { commitTime?: unknown; metadata?: { commitTime?: unknown } } | null;
  const t = r?.commitTime ?? r?.metadata?.commitTime;
  return typeof t === "string" && !Number.isNaN(Date.parse(t)) ? t : undefined;
}

/** Every finished rollout (and flag rollout) in the window as a deployment or a failed one. */
async function deployments(
  store: Store,
  since: Date,
  service: string | undefined,
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
          commitTime: commitTimeOf(detail?.result),
        });
      }
      if (page.length < 500 || page.some((s) => Date.parse(s.startedAt) < since.getTime())) break;
      offset += page.length;
    }
  }
  return out;
}

function render(r: DoraReport): string {
  const h = (x: number | null, unit: string) => (x === null ? "no data" : `${x.toFixed(1)} ${unit}`);
  return `${[
    `DORA four keys, ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)} (${r.deployments} deployments, ${r.failures} failed)`,
    `  deployment frequency      ${r.deploymentFrequency.bucket} (median ${r.deploymentFrequency.perWeekMedianDays} deploy days a week; ${r.deploymentFrequency.weeksWithDeploy} of ${r.deploymentFrequency.weeks} weeks had one)`,
    `  lead time for changes     ${h(r.leadTime.medianMinutes === null ? null : r.leadTime.medianMinutes / 60, "h")} median${r.leadTime.bucket ? ` (${r.leadTime.bucket})` : ""}; ${r.leadTime.changes} changes with a commit time${r.leadTime.dropped ? `, ${r.leadTime.dropped} ≤ 0 dropped as fourkeys does` : ""}`,
    `  change failure rate       ${r.changeFailureRate.rate === null ? "no data" : `${(r.changeFailureRate.rate * 100).toFixed(1)}%`}${r.changeFailureRate.bucket ? ` (${r.changeFailureRate.bucket})` : ""}; failures / ${r.changeFailureRate.denominator === "attempts" ? "all attempts (promoted + failed)" : "successful deployments (fourkeys)"}`,
    `  failed deployment recovery ${h(r.recoveryTime.medianHours, "h")} median${r.recoveryTime.bucket ? ` (${r.recoveryTime.bucket})` : ""}; from the failed deployment's ${r.recoveryTime.start === "deploy" ? "start (fourkeys)" : "rollback"} to the next good one, ${r.recoveryTime.recoveries} recoveries`,
  ].join("\n")}\n`;
}

/** `withstand dora [--since 90d]`: the four keys from stored rollouts. */
export async function doraCommand(flags: DoraFlags): Promise<ExitCode> {
  const sinceMs = parseLongDuration(flags.since ?? "90d");
  if (sinceMs === undefined || sinceMs <= 0)
    failUsage(`--since ${flags.since}: expected a duration such as 90d or 12w`);
  const denominator = (flags.denominator ?? "attempts") as FailureDenominator;
  if (!["attempts", "deployments"].includes(denominator))
    failUsage(`--denominator ${flags.denominator}: expected attempts or deployments`);
  const recoveryStart = (flags.recoveryStart ?? "deploy") as RecoveryStart;
  if (!["deploy", "rollback"].includes(recoveryStart))
    failUsage(`--recovery-start ${flags.recoveryStart}: expected deploy or rollback`);
  const to = new Date();
  const from = new Date(to.getTime() - (sinceMs as number));
  const store = openStore(flags.store);
  try {
    const report = dora(await deployments(store, from, flags.service), {
      from,
      to,
      denominator,
      recoveryStart,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
