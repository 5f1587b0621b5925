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
  | { kind: "measured"; median: number; worst: number; runs: number; newest: string; oldest: string };

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
