/**
 * DORA's four keys from withstand's own records, computed as fourkeys' dashboard SQL does (medians over
 * the window, lead times ≤ 0 dropped, its buckets). A promoted rollout (or flag rollout) is a
 * deployment; a rolled-back or aborted one is a failed deployment. The two choices fourkeys users
 * dispute are options, stated in the output: the change-failure-rate denominator (fourkeys #351) and
 * where recovery time starts (fourkeys #119).
 */
export interface DeploymentRecord {
  id: string;
  title: string;
  startedAt: string;
  endedAt: string;
  outcome: "deployed" | "failed";
  /** When the change was committed (metadata.commitTime, --commit-time or git); absent: no lead time. */
  commitTime?: string | undefined;
  /** The deployed revision, when known: git gives the commit times of the changes it shipped. */
  revision?: string | undefined;
  /**
   * Every change the deployment shipped (git log PREVIOUS..REVISION), each its own lead time as in
   * fourkeys' changes table; replaces `commitTime` when present.
   */
  commitTimes?: readonly string[] | undefined;
}

/** fourkeys divides failures by deployments (#351 asks for all attempts); we default to attempts. */
export type FailureDenominator = "attempts" | "deployments";
/** Recovery starts when the failed deployment started (fourkeys) or when it was rolled back. */
export type RecoveryStart = "deploy" | "rollback";

export interface DoraOptions {
  from: Date;
  to: Date;
  denominator: FailureDenominator;
  recoveryStart: RecoveryStart;
}

export type FrequencyBucket = "Daily" | "Weekly" | "Monthly" | "Yearly";
export type TimeBucket = "One day" | "One week" | "One month" | "Six months" | "One year";
export type FailureBucket = "0-15%" | "16-45%" | "46-60%";

export interface DoraReport {
  from: string;
  to: string;
  deployments: number;
  failures: number;
  deploymentFrequency: {
    bucket: FrequencyBucket;
    perWeekMedianDays: number;
    weeksWithDeploy: number;
    weeks: number;
  };
  leadTime: { medianMinutes: number | null; bucket: TimeBucket | null; changes: number; dropped: number };
  changeFailureRate: { rate: number | null; bucket: FailureBucket | null; denominator: FailureDenominator };
  recoveryTime: {
    medianHours: number | null;
    bucket: TimeBucket | null;
    recoveries: number;
    start: RecoveryStart;
  };
}

const DAY = 86_400_000;

/** PERCENTILE_CONT(x, 0.5): the mean of the two middle values of an even count. */
export function medianCont(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = (s.length - 1) / 2;
  return ((s[Math.floor(mid)] as number) + (s[Math.ceil(mid)] as number)) / 2;
}

export function leadTimeBucket(minutes: number): TimeBucket {
  if (minutes < 24 * 60) return "One day";
  if (minutes < 168 * 60) return "One week";
  if (minutes < 730 * 60) return "One month";
  if (minutes < 730 * 6 * 60) return "Six months";
  return "One year";
}

export function recoveryBucket(hours: number): TimeBucket {
  if (hours < 24) return "One day";
  if (hours < 168) return "One week";
  if (hours < 730) return "One month";
  if (hours < 4380) return "Six months";
  return "One year";
}

export function failureBucket(rate: number): FailureBucket {
  if (rate <= 0.15) return "0-15%";
  if (rate < 0.46) return "16-45%";
  return "46-60%";
}

/** Monday-based UTC week number since the epoch (fourkeys' TIMESTAMP_TRUNC(day, WEEK) shape). */
function weekOf(ms: number): number {
  return Math.floor((ms / DAY + 3) / 7);
}

/**
 * Deployment frequency over the window, empty days filled in: Daily when the median week has deploys on
 * ≥ 3 days, Weekly when the median week has one, Monthly when the median month has a week with one.
 */
export function frequency(
  deployDays: readonly number[],
  from: Date,
  to: Date,
): DoraReport["deploymentFrequency"] {
  const firstDay = Math.floor(from.getTime() / DAY);
  const lastDay = Math.floor((to.getTime() - 1) / DAY);
  const days = new Set(deployDays.filter((d) => d >= firstDay && d <= lastDay));
  const perWeek = new Map<number, number>();
  const perMonth = new Map<string, Set<number>>();
  for (let d = firstDay; d <= lastDay; d++) {
    const w = weekOf(d * DAY);
    perWeek.set(w, (perWeek.get(w) ?? 0) + (days.has(d) ? 1 : 0));
    const date = new Date(d * DAY);
    const month = `${date.getUTCFullYear()}-${date.getUTCMonth()}`;
    if (!perMonth.has(month)) perMonth.set(month, new Set());
    if (days.has(d)) perMonth.get(month)?.add(w);
  }
  const daysPerWeek = [...perWeek.values()];
  const medianDays = medianCont(daysPerWeek) ?? 0;
  const weekDeployed = daysPerWeek.map((n) => (n > 0 ? 1 : 0));
  const weeksPerMonth = [...perMonth.values()].map((s) => s.size);
  const bucket: FrequencyBucket =
    medianDays >= 3
      ? "Daily"
      : (medianCont(weekDeployed) ?? 0) >= 1
        ? "Weekly"
        : (medianCont(weeksPerMonth) ?? 0) >= 1
          ? "Monthly"
          : "Yearly";
  return {
    bucket,
    perWeekMedianDays: medianDays,
    weeksWithDeploy: weekDeployed.filter((x) => x === 1).length,
    weeks: daysPerWeek.length,
  };
}

/** The records that ended in [from, to), oldest first. */
function inPeriod(records: readonly DeploymentRecord[], o: DoraOptions): DeploymentRecord[] {
  return records
    .filter((r) => {
      const t = Date.parse(r.endedAt);
      return t >= o.from.getTime() && t < o.to.getTime();
    })
    .sort((a, b) => Date.parse(a.endedAt) - Date.parse(b.endedAt));
}

export function dora(records: readonly DeploymentRecord[], o: DoraOptions): DoraReport {
  const inWindow = inPeriod(records, o);
  const deployed = inWindow.filter((r) => r.outcome === "deployed");
  const failed = inWindow.filter((r) => r.outcome === "failed");

  const leads = deployed.flatMap((r) =>
    (r.commitTimes ?? (r.commitTime !== undefined ? [r.commitTime] : [])).map(
      (c) => (Date.parse(r.endedAt) - Date.parse(c)) / 60_000,
    ),
  );
  const positive = leads.filter((m) => m > 0);
  const leadMedian = medianCont(positive);

  const denominator = o.denominator === "attempts" ? deployed.length + failed.length : deployed.length;
  const rate = denominator > 0 ? failed.length / denominator : null;

  // Recovery: from each failure (its start or its rollback) to the next good deployment after it.
  const recoveries: number[] = [];
  for (const f of failed) {
    const start = Date.parse(o.recoveryStart === "deploy" ? f.startedAt : f.endedAt);
    const next = deployed.find((d) => Date.parse(d.endedAt) > Date.parse(f.endedAt));
    if (next) recoveries.push((Date.parse(next.endedAt) - start) / 3_600_000);
  }
  const recoveryMedian = medianCont(recoveries);

  return {
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    deployments: deployed.length,
    failures: failed.length,
    deploymentFrequency: frequency(
      deployed.map((d) => Math.floor(Date.parse(d.endedAt) / DAY)),
      o.from,
      o.to,
    ),
    leadTime: {
      medianMinutes: leadMedian,
      bucket: leadMedian === null ? null : leadTimeBucket(leadMedian),
      changes: positive.length,
      dropped: leads.length - positive.length,
    },
    changeFailureRate: {
      rate,
      bucket: rate === null ? null : failureBucket(rate),
      denominator: o.denominator,
    },
    recoveryTime: {
      medianHours: recoveryMedian,
      bucket: recoveryMedian === null ? null : recoveryBucket(recoveryMedian),
      recoveries: recoveries.length,
      start: o.recoveryStart,
    },
  };
}

/** One week of the window (Monday-based, UTC), for the dashboard's distributions. */
export interface DoraWeek {
  /** The Monday the week starts, YYYY-MM-DD. */
  week: string;
  deployments: number;
  failures: number;
  failureRate: number | null;
  leadMedianMinutes: number | null;
  recoveryMedianHours: number | null;
}

export interface Spread {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

/** PERCENTILE_CONT at q: the spread of a key over the window. */
export function spread(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = (s.length - 1) * q;
    const lo = s[Math.floor(pos)] as number;
    return lo + ((s[Math.ceil(pos)] as number) - lo) * (pos - Math.floor(pos));
  };
  return { n: s.length, min: s[0] as number, median: at(0.5), p90: at(0.9), max: s.at(-1) as number };
}

export interface DoraDistributions {
  weeks: DoraWeek[];
  deploymentsPerWeek: Spread | null;
  leadMinutes: Spread | null;
  recoveryHours: Spread | null;
}

/**
 * The four keys week by week and their spreads over the window: what the medians of `dora()` summarise,
 * from the same events under the same options (lead times ≤ 0 dropped, recovery to the next good deploy).
 */
export function doraDistributions(records: readonly DeploymentRecord[], o: DoraOptions): DoraDistributions {
  const inWindow = inPeriod(records, o);
  const deployed = inWindow.filter((r) => r.outcome === "deployed");
  const weeks = new Map<
    number,
    { deployed: number; failed: number; leads: number[]; recoveries: number[] }
  >();
  const first = weekOf(o.from.getTime());
  const last = weekOf(o.to.getTime() - 1);
  for (let w = first; w <= last; w++) weeks.set(w, { deployed: 0, failed: 0, leads: [], recoveries: [] });
  const allLeads: number[] = [];
  const allRecoveries: number[] = [];
  for (const r of inWindow) {
    const end = Date.parse(r.endedAt);
    const w = weeks.get(weekOf(end));
    if (!w) continue;
    if (r.outcome === "deployed") {
      w.deployed++;
      for (const c of r.commitTimes ?? (r.commitTime !== undefined ? [r.commitTime] : [])) {
        const m = (end - Date.parse(c)) / 60_000;
        if (m > 0) {
          w.leads.push(m);
          allLeads.push(m);
        }
      }
    } else {
      w.failed++;
      const start = Date.parse(o.recoveryStart === "deploy" ? r.startedAt : r.endedAt);
      const next = deployed.find((d) => Date.parse(d.endedAt) > end);
      if (next) {
        const h = (Date.parse(next.endedAt) - start) / 3_600_000;
        w.recoveries.push(h);
        allRecoveries.push(h);
      }
    }
  }
  const out: DoraWeek[] = [...weeks.entries()].map(([w, b]) => {
    const denominator = o.denominator === "attempts" ? b.deployed + b.failed : b.deployed;
    return {
      week: new Date((w * 7 - 3) * DAY).toISOString().slice(0, 10),
      deployments: b.deployed,
      failures: b.failed,
      failureRate: denominator > 0 ? b.failed / denominator : null,
      leadMedianMinutes: medianCont(b.leads),
      recoveryMedianHours: medianCont(b.recoveries),
    };
  });
  return {
    weeks: out,
    deploymentsPerWeek: spread(out.map((w) => w.deployments)),
    leadMinutes: spread(allLeads),
    recoveryHours: spread(allRecoveries),
  };
}
