import type { RunEvent } from "./events.js";
import { faultTimes } from "./incident-times.js";

/**
 * Quantitative risk analysis (Google CRE's "Know thy enemy" risk catalogue): each risk costs
 * `(TTD + TTR) × impact × 365.25 d / TBF` bad minutes a year, compared with an SLO's yearly error budget
 * `(1 − target) × 525,960` minutes. Risks are stack-ranked by that cost, and any single risk above a
 * share of a budget (25% by default, as the SRE spreadsheet) is flagged.
 */
export const MINUTES_PER_YEAR = 365.25 * 24 * 60;

/** Where a figure came from: the catalogue's guess, or measured in stored runs. */
export type Provenance =
  | { kind: "guess" }
  | {
      kind: "measured";
      median: number;
      worst: number;
      runs: number;
      newest: string;
      oldest: string;
      /** Injections no check ever noticed: the measured time to detect is then a lower bound. */
      undetected?: number | undefined;
    };

/** A stored run a risk cites, and what each of its injections measured (minutes). */
export interface Citation {
  runId: string;
  kind: string;
  title: string;
  startedAt: string;
  faults: { kind: string; activity: string; injectedAt: string; detectMin?: number; recoverMin?: number }[];
}

export interface RiskInput {
  name: string;
  description?: string | undefined;
  /** Minutes to detect, to repair; share of users affected (0..1); days between failures. */
  ttdMin: number;
  ttrMin: number;
  impact: number;
  tbfDays: number;
  ttdFrom?: Provenance | undefined;
  ttrFrom?: Provenance | undefined;
  /** The runs (game days, experiments) whose measured times price it. */
  cites?: Citation[] | undefined;
}

export interface BudgetShare {
  slo: string;
  target: number;
  budgetMinutes: number;
  share: number;
  overLimit: boolean;
}

export interface RiskFigure extends RiskInput {
  rank: number;
  badMinutesPerYear: number;
  incidentsPerYear: number;
  shares: BudgetShare[];
}

export interface SloBudget {
  name: string;
  /** The objective, e.g. 0.999. */
  target: number;
}

export function yearlyBudgetMinutes(target: number): number {
  return (1 - target) * MINUTES_PER_YEAR;
}

export function badMinutesPerYear(r: Pick<RiskInput, "ttdMin" | "ttrMin" | "impact" | "tbfDays">): number {
  return ((r.ttdMin + r.ttrMin) * r.impact * 365.25) / r.tbfDays;
}

/** Every risk's cost and budget shares, most costly first (rank 1). */
export function rankRisks(
  risks: readonly RiskInput[],
  slos: readonly SloBudget[],
  limit = 0.25,
): RiskFigure[] {
  return risks
    .map((r) => {
      const bad = badMinutesPerYear(r);
      return {
        ...r,
        rank: 0,
        badMinutesPerYear: bad,
        incidentsPerYear: 365.25 / r.tbfDays,
        shares: slos.map((s) => {
          const budget = yearlyBudgetMinutes(s.target);
          const share = budget > 0 ? bad / budget : Number.POSITIVE_INFINITY;
          return { slo: s.name, target: s.target, budgetMinutes: budget, share, overLimit: share > limit };
        }),
      };
    })
    .sort((a, b) => b.badMinutesPerYear - a.badMinutesPerYear || a.name.localeCompare(b.name))
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

/** A what-if: `canary:5%` (impact becomes the canary's share), `detect:2m`, `repair:10m`. */
export type Mitigation =
  | { kind: "canary"; share: number }
  | { kind: "detect"; minutes: number }
  | { kind: "repair"; minutes: number };

export function mitigate(r: RiskInput, m: Mitigation): RiskInput {
  switch (m.kind) {
    case "canary":
      return { ...r, impact: Math.min(r.impact, m.share) };
    case "detect":
      return { ...r, ttdMin: m.minutes, ttdFrom: { kind: "guess" } };
    case "repair":
      return { ...r, ttrMin: m.minutes, ttrFrom: { kind: "guess" } };
  }
}

export interface WhatIf {
  risk: string;
  mitigation: string;
  before: number;
  after: number;
  saved: number;
}

export function whatIf(r: RiskInput, label: string, ms: readonly Mitigation[]): WhatIf {
  const after = ms.reduce(mitigate, r);
  const before = badMinutesPerYear(r);
  const a = badMinutesPerYear(after);
  return { risk: r.name, mitigation: label, before, after: a, saved: before - a };
}

/** The median and the worst of measured times, as distributions are reported (never a mean). */
export function distribution(
  values: readonly number[],
): { median: number; p90: number; worst: number } | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = (s.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
  };
  return { median: at(0.5), p90: at(0.9), worst: s[s.length - 1] as number };
}

/** A run as a risk reads it: who it was and its events (the store's RunDetail has both). */
export interface CitedRun {
  id: string;
  kind: string;
  title: string;
  startedAt: string;
  events: readonly RunEvent[];
}

/**
 * What cited runs measured for a risk: every injection (of the given fault kind or activity, when
 * `fault` is set) with its time to detect and to recover from the run's events, and the median and
 * worst of each, dated, to replace the catalogue's guesses. Runs without a matching injection are not
 * cited: they measured nothing about this risk.
 */
export function measuredTimes(
  runs: readonly CitedRun[],
  fault?: string | undefined,
): { ttd?: Provenance; ttr?: Provenance; cites: Citation[] } {
  const cites: Citation[] = [];
  const ttd: number[] = [];
  const ttr: number[] = [];
  const dates: string[] = [];
  let undetected = 0;
  for (const run of runs) {
    const faults = faultTimes(run.events).filter(
      (f) => fault === undefined || f.kind === fault || f.activity === fault,
    );
    if (faults.length === 0) continue;
    cites.push({
      runId: run.id,
      kind: run.kind,
      title: run.title,
      startedAt: run.startedAt,
      faults: faults.map((f) => ({
        kind: f.kind,
        activity: f.activity,
        injectedAt: f.injectedAt,
        ...(f.detectMs !== undefined ? { detectMin: f.detectMs / 60_000 } : {}),
        ...(f.recoverMs !== undefined ? { recoverMin: f.recoverMs / 60_000 } : {}),
      })),
    });
    for (const f of faults) {
      dates.push(f.injectedAt);
      if (f.detectMs !== undefined) ttd.push(f.detectMs / 60_000);
      else undetected++;
      if (f.recoverMs !== undefined) ttr.push(f.recoverMs / 60_000);
    }
  }
  dates.sort();
  const prov = (xs: number[], extra: { undetected?: number }): Provenance | undefined => {
    const d = distribution(xs);
    return d
      ? {
          kind: "measured",
          median: d.median,
          worst: d.worst,
          runs: cites.length,
          oldest: dates[0] ?? "",
          newest: dates.at(-1) ?? "",
          ...extra,
        }
      : undefined;
  };
  const out: { ttd?: Provenance; ttr?: Provenance; cites: Citation[] } = { cites };
  const d = prov(ttd, { undetected });
  const r = prov(ttr, {});
  if (d) out.ttd = d;
  if (r) out.ttr = r;
  return out;
}
