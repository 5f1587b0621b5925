import type { Counts, MetricProvider, SliSource, WindowReader } from "../core/metric-provider.js";
import { goodInWindow } from "../core/sli.js";
import type { Slice } from "../core/slo.js";
import type { Objective } from "../core/slo-model.js";
import { fromStored, type StoredWindow, type Window } from "../core/window.js";

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

/** withstand's own windows (load runs, load activities, the router), by series name. */
export const windowsProvider: MetricProvider = {
  type: "withstand",
  sli: (_slo, source, ctx) => new WindowsSource(source.query, ctx.windows),
};
