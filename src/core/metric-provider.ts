import type { AnomalyCheck } from "./anomaly.js";
import type { ContractCheck, PactGate } from "./pact/gate.js";
import type { Slice } from "./slo.js";
import type { MetricSource, Objective, Slo } from "./slo-model.js";
import type { Window } from "./window.js";

/**
 * The interface every metric provider implements (metrics/<provider>.ts, Argo's metricproviders/):
 * it answers SLIs for OpenSLO objectives, points for the canary judge, or both. The SLO status,
 * SLO hypotheses, rollout analyses and the dashboard all ask through the registry.
 */
export interface Counts {
  good: number;
  total: number;
}

/** A source answers counts (or the error ratio) for any window ending at `at`. */
export interface SliSource {
  counts(objective: Objective, fromMs: number, toMs: number): Promise<Counts>;
  slices?(objective: Objective, fromMs: number, toMs: number, sliceMs: number): Promise<Slice[]>;
}

export type WindowReader = (series: string, fromMs: number, toMs: number) => Promise<Window[]>;

/** Per-request samples of one version, as the router records them. */
export interface SampleReader {
  samples(version: string, fromMs: number, toMs: number): readonly { latencyMs: number; error: number }[];
}

/** What a rollout metric asks of a provider: one version's points over [fromMs, toMs). */
export interface PointsQuery {
  /** The provider's query, `{{version}}` already filled in (Prometheus), or the measure (router). */
  query?: string | undefined;
  measure?: "error-rate" | "latency" | undefined;
  /** The provider's address (a Prometheus URL). */
  address?: string | undefined;
  version: string;
  fromMs: number;
  toMs: number;
  /**
   * A flag rollout's users of this version's variant (targeting keys): a synthetic provider makes
   * one request as each, `{{targetingKey}}` in its query (URL) replaced by the key.
   */
  subjects?: readonly string[] | undefined;
}

/** What an instant or range query asks of a provider. */
export interface MetricQuery {
  /** PromQL (Prometheus), or the series name of withstand's windows (`load`). */
  query?: string | undefined;
  /** What the router or the windows measure: the error rate or the mean latency in ms. */
  measure?: "error-rate" | "latency" | undefined;
  /** The provider's address (a Prometheus URL). */
  address?: string | undefined;
  /** One version's traffic (the router). */
  version?: string | undefined;
  headers?: Record<string, string> | undefined;
  timeoutMs?: number | undefined;
  /** The anomaly provider's detector, history and step (`query` and `address` are its Prometheus'). */
  anomaly?: Omit<AnomalyCheck, "prometheus" | "query"> | undefined;
}

/** One series of a range query: its labels and its [time ms, value] points, oldest first. */
export interface Series {
  labels: Record<string, string>;
  points: [number, number][];
}

/** What a provider may read besides its own address: the run's router and the store's windows. */
export interface MetricContext {
  router?: SampleReader | undefined;
  windows?: WindowReader | undefined;
}

/** A check of one running version (a rollout's contract gate): where it answers, and what to check. */
export interface VersionCheckQuery {
  version: string;
  url: string;
  provider: PactGate;
}

/** What a check found: the `result` the conditions see, and the verification for the record. */
export interface VersionCheckResult {
  result: Record<string, number>;
  contract: ContractCheck;
}

export interface MetricProvider {
  /** The `type` of an OpenSLO DataSource / metricSource, or a rollout metric's `source`. */
  readonly type: string;
  /** An SLI for an objective measured through this provider. */
  sli?(slo: Slo, source: MetricSource, ctx: { windows: WindowReader }): SliSource;
  /** One version's points for the canary judge. */
  points?(q: PointsQuery, ctx: { router?: SampleReader | undefined }): Promise<number[]>;
  /**
   * An instant query at `atMs` (over the `lookbackMs` before it where the provider aggregates): a
   * scalar as a number, a vector as the list of its values (Argo's Prometheus provider's `result`).
   */
  instant?(
    q: MetricQuery & { atMs: number; lookbackMs?: number | undefined },
    ctx: MetricContext,
  ): Promise<number | number[]>;
  /** A range query over [fromMs, toMs], one point per `stepMs`: every series it returns. */
  range?(
    q: MetricQuery & { fromMs: number; toMs: number; stepMs: number },
    ctx: MetricContext,
  ): Promise<Series[]>;
  /** A check of one version itself, at its address, rather than of the traffic it served (pact). */
  check?(q: VersionCheckQuery, signal?: AbortSignal): Promise<VersionCheckResult>;
}
