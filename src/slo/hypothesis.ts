import { WithstandError } from "../core/errors.js";
import type { SloHypothesis } from "../core/experiment.js";
import type { Counts, SliSource, WindowReader } from "../core/metric-provider.js";
import { burnRate, burnRatePairs, errorBudget } from "../core/slo.js";
import type { Slo } from "../core/slo-model.js";
import type { Window } from "../core/window.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFile } from "../documents/openslo.js";
import { sourceFor } from "../metrics/index.js";

/** An SLO used as a steady-state probe that cannot be evaluated: exit 2. */
export class SloHypothesisError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_SLO_HYPOTHESIS", message, 2, options);
    this.name = "SloHypothesisError";
  }
}

export interface SloVerdict {
  met: boolean;
  reason: string;
  output: Record<string, unknown>;
}

export async function loadHypothesisSlo(h: SloHypothesis): Promise<Slo> {
  const loaded = await loadOpenSloFile(h.file);
  if (hasErrors(loaded.diagnostics))
    throw new SloHypothesisError(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  const slo = loaded.slos.find((s) => s.name === h.name);
  if (!slo)
    throw new SloHypothesisError(
      `${h.loc}: slo.name: no SLO named ${JSON.stringify(h.name)} in ${h.file} (expected one of ${loaded.slos.map((s) => s.name).join(", ") || "none"})`,
    );
  return slo;
}

/**
 * Judges the run's window against an SLO: it deviates when the window burns more than `maxBudgetBurn` of
 * the period's budget, or when a page alert would fire. Traffic outside the window is taken as clean
 * and at the same volume, which is what an alert evaluated at the end of the window would see at best.
 */
export async function judgeSlo(
  h: SloHypothesis,
  slo: Slo,
  fromMs: number,
  toMs: number,
  loads: ReadonlyMap<string, { windows: Window[] }>,
): Promise<SloVerdict> {
  const objective = slo.objectives[0];
  if (!objective) throw new SloHypothesisError(`${slo.loc}: SLO ${slo.name} has no objective`);
  // The run's own load windows, held in memory, stand in for the store's.
  const windows: WindowReader = async (series, from, to) => {
    const all =
      series === "*" ? [...loads.values()].flatMap((l) => l.windows) : (loads.get(series)?.windows ?? []);
    return all.filter((w) => w.end > from && w.start < to);
  };
  let source: SliSource;
  try {
    source = sourceFor(slo, windows);
  } catch (err) {
    throw new SloHypothesisError((err as Error).message);
  }
  const durationMs = Math.max(1, toMs - fromMs);
  const c: Counts = await source.counts(objective, fromMs, toMs);
  const bad = c.total - c.good;
  const ratio = c.total > 0 ? bad / c.total : 0;
  const burn = burnRate(ratio, objective.target);
  const burned = burn * (durationMs / slo.periodMs);
  const budget = errorBudget(objective.target);
  const page = burnRatePairs(slo.periodMs)
    .filter((p) => p.severity === "page")
    .map((p) => {
      const over = async (ms: number) => {
        if (ms >= durationMs) return c.total > 0 ? bad / (c.total * (ms / durationMs)) : 0;
        const w = await source.counts(objective, toMs - ms, toMs);
        return w.total > 0 ? 1 - w.good / w.total : 0;
      };
      return { p, over };
    });
  const firing: string[] = [];
  for (const { p, over } of page) {
    const long = await over(p.longMs);
    const short = await over(p.shortMs);
    if (long > p.factor * budget && short > p.factor * budget) firing.push(`${p.factor.toFixed(1)}x page`);
  }
  const output = {
    slo: slo.name,
    window_s: durationMs / 1000,
    events: c.total,
    error_ratio: ratio,
    burn_rate: burn,
    budget_burned: burned,
    max_budget_burn: h.maxBudgetBurn,
    page_alerts: firing,
  };
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  if (burned > h.maxBudgetBurn)
    return {
      met: false,
      reason: `burned ${pct(burned)} of the ${slo.name} budget (max ${pct(h.maxBudgetBurn)}; error ratio ${pct(ratio)} over ${c.total} events)`,
      output,
    };
  if (firing.length > 0)
    return { met: false, reason: `a ${firing.join(" and ")} alert would fire for ${slo.name}`, output };
  return {
    met: true,
    reason: `burned ${pct(burned)} of the ${slo.name} budget (max ${pct(h.maxBudgetBurn)}) over ${c.total} events; no page alert`,
    output,
  };
}
