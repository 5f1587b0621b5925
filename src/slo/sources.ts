import type { Slice } from "../core/slo.js";
import { promDuration } from "../core/slo.js";
import type { Objective, Slo } from "../core/slo-model.js";
import { fromStored, type StoredWindow, type Window } from "../core/window.js";
import type { Counts, SliSource } from "./evaluate.js";
import { goodInWindow } from "./evaluate.js";
import { errorRatioExpr, windowQuery } from "./rules.js";

export class SourceError extends Error {}

export type WindowReader = (series: string, fromMs: number, toMs: number) => Promise<Window[]>;

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

/** SLIs from Prometheus: instant queries at the window's end, error ratios from counts over the window. */
export class PrometheusSource implements SliSource {
  constructor(
    private readonly url: string,
    private readonly slo: Slo,
  ) {}

  private async scalar(query: string, atMs: number): Promise<number> {
    const result = await promQuery(this.url, "query", { query, time: String(atMs / 1000) });
    const v = (result[0] as { value?: [number, string] } | undefined)?.value?.[1];
    return v === undefined ? Number.NaN : Number(v);
  }

  async counts(_objective: Objective, fromMs: number, toMs: number): Promise<Counts> {
    const ratio = this.slo.indicator.ratio;
    if (!ratio)
      throw new SourceError(
        `${this.slo.loc}: ${this.slo.name}: Prometheus status needs a ratioMetric indicator`,
      );
    const w = promDuration(Math.max(1000, Math.round((toMs - fromMs) / 1000) * 1000));
    const errorRatio = await this.scalar(errorRatioExpr(this.slo, w), toMs);
    const perSecond = await this.scalar(windowQuery(ratio.total, w, ratio.counter), toMs);
    const total = Number.isNaN(perSecond) ? 0 : Math.round(perSecond * ((toMs - fromMs) / 1000));
    const bad = Number.isNaN(errorRatio) ? 0 : errorRatio * total;
    return { good: total - bad, total };
  }
}

export function sourceFor(slo: Slo, windows: WindowReader): SliSource {
  const s = slo.indicator.ratio?.total ?? slo.indicator.threshold;
  if (!s) throw new SourceError(`${slo.loc}: ${slo.name}: no metric source`);
  if (s.type === "withstand") return new WindowsSource(s.query, windows);
  if (s.type === "prometheus") {
    if (!s.url)
      throw new SourceError(
        `${slo.loc}: ${slo.name}: a prometheus source needs a DataSource with connectionDetails.url`,
      );
    return new PrometheusSource(s.url, slo);
  }
  throw new SourceError(
    `${slo.loc}: ${slo.name}: unsupported metric source type ${s.type} (expected prometheus or withstand)`,
  );
}

type PromSeries = { metric?: Record<string, string>; value?: [number, string]; values?: [number, string][] };

/** One Prometheus HTTP API call; the `result` list of a successful answer, a SourceError otherwise. */
export async function promQuery(
  baseUrl: string,
  endpoint: "query" | "query_range",
  params: Record<string, string>,
): Promise<PromSeries[]> {
  const u = `${baseUrl.replace(/\/$/, "")}/api/v1/${endpoint}?${new URLSearchParams(params)}`;
  let res: Response;
  try {
    res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new SourceError(`Prometheus ${baseUrl} unreachable: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as {
    status?: string;
    error?: string;
    data?: { result?: PromSeries[] };
  };
  if (body.status !== "success")
    throw new SourceError(`Prometheus query failed: ${body.error ?? res.status}: ${params.query}`);
  return body.data?.result ?? [];
}

/** Every sample of every series a range query returns, as numbers (NaN kept for the judge's nanStrategy). */
export async function promRangeValues(
  baseUrl: string,
  query: string,
  fromMs: number,
  toMs: number,
  stepS: number,
): Promise<number[]> {
  const result = await promQuery(baseUrl, "query_range", {
    query,
    start: String(fromMs / 1000),
    end: String(toMs / 1000),
    step: String(stepS),
  });
  return result.flatMap((s) => (s.values ?? []).map(([, v]) => Number(v)));
}
