import type {
  Counts,
  MetricProvider,
  MetricQuery,
  SliSource,
  WindowReader,
} from "../core/metric-provider.js";
import { goodInWindow } from "../core/sli.js";
import type { Slice } from "../core/slo.js";
import type { Objective } from "../core/slo-model.js";
import { addInto, fromStored, newWindow, type StoredWindow, summarize, type Window } from "../core/window.js";

/** Reads windows from a store, decoding their histograms. */
export function storeReader(
  read: (series: string, fromMs: number, toMs: number) => Promise<StoredWindow[]>,
): WindowReader {
  return async (series, fromMs, toMs) => (await read(series, fromMs, toMs)).map(fromStored);
}

/** SLIs over withstand's own windows (load runs, load activities; later the router), read from the store. */
export class WindowsSource implements SliSource {
  constructor(
    private readonly series: string,
    private readonly windows: WindowReader,
  ) {}

  private read(fromMs: number, toMs: number): Promise<Window[]> {
    return this.windows(this.series, fromMs, toMs);
  }

  async counts(objective: Objective, fromMs: number, toMs: number): Promise<Counts> {
    let good = 0;
    let total = 0;
    for (const w of await this.read(fromMs, toMs)) {
      good += goodInWindow(w, objective);
      total += w.count;
    }
    return { good, total };
  }

  async slices(objective: Objective, fromMs: number, toMs: number, sliceMs: number): Promise<Slice[]> {
    const slices = new Map<number, Slice>();
    for (const w of await this.read(fromMs, toMs)) {
      const k = Math.floor((w.start - fromMs) / sliceMs);
      const s = slices.get(k) ?? { good: 0, total: 0 };
      s.good += goodInWindow(w, objective);
      s.total += w.count;
      slices.set(k, s);
    }
    return [...slices.values()];
  }
}

/** The error rate or the mean latency (ms) of the windows merged; NaN when they saw no request. */
function measureOf(windows: readonly Window[], measure: MetricQuery["measure"], startMs: number): number {
  const merged = newWindow(startMs);
  for (const w of windows) addInto(merged, w);
  if (merged.count === 0) return Number.NaN;
  return measure === "latency" ? summarize(merged).latencyMs.avg : merged.errors / merged.count;
}

function reader(
  ctx: { windows?: WindowReader | undefined },
  q: MetricQuery,
): { read: WindowReader; series: string } {
  if (!ctx.windows) throw new Error("source withstand: no store to read windows from");
  if (!q.query) throw new Error("source withstand: the query names the series of windows (e.g. load)");
  return { read: ctx.windows, series: q.query };
}

/** withstand's own windows (load runs, load activities, the router), by series name. */
export const windowsProvider: MetricProvider = {
  type: "withstand",
  sli: (_slo, source, ctx) => new WindowsSource(source.query, ctx.windows),
  async instant(q, ctx) {
    const { read, series } = reader(ctx, q);
    const from = q.atMs - (q.lookbackMs ?? 60_000);
    return measureOf(await read(series, from, q.atMs), q.measure, from);
  },
  async range(q, ctx) {
    const { read, series } = reader(ctx, q);
    const windows = await read(series, q.fromMs, q.toMs);
    const points: [number, number][] = [];
    for (let t = q.fromMs; t < q.toMs; t += q.stepMs) {
      const inStep = windows.filter((w) => w.start >= t && w.start < t + q.stepMs);
      points.push([t + q.stepMs, measureOf(inStep, q.measure, t)]);
    }
    return [{ labels: { series }, points }];
  },
};
