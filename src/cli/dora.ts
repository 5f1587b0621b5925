import {
  type DeploymentRecord,
  type DoraReport,
  dora,
  type FailureDenominator,
  type RecoveryStart,
} from "../core/dora.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { revisionProblem } from "../core/revision.js";
import { parseLongDuration } from "../documents/risk-catalog.js";
import { gitCommit, gitCommitTimes } from "../platform/git.js";
import { deploymentRecords } from "../report/dora.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";

export interface DoraFlags {
  since?: string;
  denominator?: string;
  recoveryStart?: string;
  service?: string;
  json?: boolean;
  store?: string;
  /** A git repository: recorded revisions give the commit times of every change deployed. */
  repo?: string;
}

/**
 * With a repository: every deployment that recorded its revision gets the commit times of the changes it
 * shipped, `git log PREVIOUS..REVISION` where PREVIOUS is the revision of the service's previous good
 * deployment (its own commit alone for the first), as fourkeys counts each change of a push.
 */
async function withGitChanges(records: DeploymentRecord[], repo: string): Promise<DeploymentRecord[]> {
  const sorted = [...records].sort((a, b) => Date.parse(a.endedAt) - Date.parse(b.endedAt));
  const previous = new Map<string, string>();
  const out: DeploymentRecord[] = [];
  for (const r of sorted) {
    const problem = r.revision === undefined ? undefined : revisionProblem(r.revision);
    if (r.revision === undefined || problem) {
      // A run recorded before revisions were checked: counted without its changes, never handed to git.
      if (problem)
        process.stderr.write(
          `withstand: rollout ${r.id}: revision ${problem}; its changes are not counted\n`,
        );
      out.push(r);
      continue;
    }
    const prev = previous.get(r.title);
    let commitTimes: string[];
    try {
      commitTimes = prev
        ? await gitCommitTimes(repo, `${prev}..${r.revision}`)
        : [(await gitCommit(repo, r.revision)).commitTime];
    } catch (err) {
      return failUsage(`--repo ${repo}: rollout ${r.id}: ${(err as Error).message}`);
    }
    out.push({ ...r, commitTimes });
    if (r.outcome === "deployed") previous.set(r.title, r.revision);
  }
  return out;
}

function render(r: DoraReport): string {
  // Hours as the unit that reads: 45 min, 5.2 h, 3.1 d.
  const h = (x: number | null) =>
    x === null
      ? "no data"
      : x < 1
        ? `${(x * 60).toFixed(1)} min`
        : x < 48
          ? `${x.toFixed(1)} h`
          : `${(x / 24).toFixed(1)} d`;
  return `${[
    `DORA four keys, ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)} (${r.deployments} deployments, ${r.failures} failed)`,
    `  deployment frequency      ${r.deploymentFrequency.bucket} (median ${r.deploymentFrequency.perWeekMedianDays} deploy days a week; ${r.deploymentFrequency.weeksWithDeploy} of ${r.deploymentFrequency.weeks} weeks had one)`,
    `  lead time for changes     ${h(r.leadTime.medianMinutes === null ? null : r.leadTime.medianMinutes / 60)} median${r.leadTime.bucket ? ` (${r.leadTime.bucket})` : ""}; ${r.leadTime.changes} changes with a commit time${r.leadTime.dropped ? `, ${r.leadTime.dropped} ≤ 0 dropped as fourkeys does` : ""}`,
    `  change failure rate       ${r.changeFailureRate.rate === null ? "no data" : `${(r.changeFailureRate.rate * 100).toFixed(1)}%`}${r.changeFailureRate.bucket ? ` (${r.changeFailureRate.bucket})` : ""}; failures / ${r.changeFailureRate.denominator === "attempts" ? "all attempts (promoted + failed)" : "successful deployments (fourkeys)"}`,
    `  failed deployment recovery ${h(r.recoveryTime.medianHours)} median${r.recoveryTime.bucket ? ` (${r.recoveryTime.bucket})` : ""}; from the failed deployment's ${r.recoveryTime.start === "deploy" ? "start (fourkeys)" : "rollback"} to the next good one, ${r.recoveryTime.recoveries} recoveries`,
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
    const records = await deploymentRecords(store, from, flags.service);
    const report = dora(flags.repo ? await withGitChanges(records, flags.repo) : records, {
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
