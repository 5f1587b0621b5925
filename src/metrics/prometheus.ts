import { SourceError } from "../core/errors.js";
import type { Counts, MetricProvider, SliSource } from "../core/metric-provider.js";
import { errorRatioExpr, windowQuery } from "../core/promql.js";
import { promDuration } from "../core/slo.js";
import type { Objective, Slo } from "../core/slo-model.js";

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
        { why: "missing" },
      );
    const w = promDuration(Math.max(1000, Math.round((toMs - fromMs) / 1000) * 1000));
    const errorRatio = await this.scalar(errorRatioExpr(this.slo, w), toMs);
    const perSecond = await this.scalar(windowQuery(ratio.total, w, ratio.counter), toMs);
    const total = Number.isNaN(perSecond) ? 0 : Math.round(perSecond * ((toMs - fromMs) / 1000));
    const bad = Number.isNaN(errorRatio) ? 0 : errorRatio * total;
    return { good: total - bad, total };
  }
}

type PromSeries = { metric?: Record<string, string>; value?: [number, string]; values?: [number, string][] };

/** One Prometheus HTTP API call; the `result` list of a successful answer, a SourceError otherwise. */
export async function promQuery(
  baseUrl: string,
  endpoint: "query" | "query_range",
  params: Record<string, string>,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PromSeries[]> {
  const body = await promCall(baseUrl, endpoint, params, opts);
  const result = body.result ?? [];
  // A scalar or string answer is a bare [time, value], not series: promInstant reads those.
  return Array.isArray(result) && typeof result[0] !== "number" ? (result as PromSeries[]) : [];
}

/** A scalar answer is `{value}`; anything else is the list of series. */
export async function promInstant(
  baseUrl: string,
  query: string,
  atMs: number,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PromSeries[] | { value: [number, string] }> {
  const body = await promCall(baseUrl, "query", { query, time: String(atMs / 1000) }, opts);
  if (body.resultType === "scalar" || body.resultType === "string")
    return { value: body.result as unknown as [number, string] };
  return (body.result as PromSeries[] | undefined) ?? [];
}

async function promCall(
  baseUrl: string,
  endpoint: "query" | "query_range",
  params: Record<string, string>,
  opts: { headers?: Record<string, string>; timeoutMs?: number },
): Promise<{ resultType?: string; result?: PromSeries[] }> {
  const u = `${baseUrl.replace(/\/$/, "")}/api/v1/${endpoint}?${new URLSearchParams(params)}`;
  let res: Response;
  try {
    res = await fetch(u, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
  } catch (err) {
    throw new SourceError(`Prometheus ${baseUrl} unreachable: ${(err as Error).message}`, { cause: err });
  }
  const body = (await res.json().catch(() => ({}))) as {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: PromSeries[] };
  };
  if (body.status !== "success")
    throw new SourceError(`Prometheus query failed: ${body.error ?? res.status}: ${params.query}`);
  return body.data ?? {};
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

const optsOf = (q: { headers?: Record<string, string> | undefined; timeoutMs?: number | undefined }) => ({
  ...(q.headers ? { headers: q.headers } : {}),
  ...(q.timeoutMs !== undefined ? { timeoutMs: q.timeoutMs } : {}),
});

function required(q: { address?: string | undefined; query?: string | undefined }): {
  address: string;
  query: string;
} {
  if (!q.address) throw new SourceError("a prometheus query needs the server's address");
  if (!q.query) throw new SourceError(`Prometheus ${q.address}: no query`);
  return { address: q.address, query: q.query };
}

/** Prometheus through its HTTP API: SLIs from instant queries, canary points from range queries. */
export const prometheusProvider: MetricProvider = {
  type: "prometheus",
  async instant(q) {
    const { address, query } = required(q);
    const answer = await promInstant(address, query, q.atMs, optsOf(q));
    if (!Array.isArray(answer)) return Number(answer.value[1]);
    return answer.map((s) => Number(s.value?.[1]));
  },
  async range(q) {
    const { address, query } = required(q);
    const params = {
      query,
      start: String(q.fromMs / 1000),
      end: String(q.toMs / 1000),
      step: String(q.stepMs / 1000),
    };
    const series = await promQuery(address, "query_range", params, optsOf(q));
    return series.map((s) => ({
      labels: s.metric ?? {},
      points: (s.values ?? []).map(([t, v]): [number, number] => [t * 1000, Number(v)]),
    }));
  },
  sli(slo, source) {
    if (!source.url)
      throw new SourceError(
        `${slo.loc}: ${slo.name}: a prometheus source needs a DataSource with connectionDetails.url`,
        { why: "missing" },
      );
    return new PrometheusSource(source.url, slo);
  },
  points(q) {
    // About 50 points per version per measurement: Spinnaker's minimum for a meaningful comparison.
    const stepS = Math.max(1, Math.round((q.toMs - q.fromMs) / 1000 / 50));
    return promRangeValues(q.address ?? "", q.query ?? "", q.fromMs, q.toMs, stepS);
  },
};
