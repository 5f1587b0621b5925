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
}

export interface MetricProvider {
  /** The `type` of an OpenSLO DataSource / metricSource, or a rollout metric's `source`. */
  readonly type: string;
  /** An SLI for an objective measured through this provider. */
  sli?(slo: Slo, source: MetricSource, ctx: { windows: WindowReader }): SliSource;
  /** One version's points for the canary judge. */
  points?(q: PointsQuery, ctx: { router?: SampleReader | undefined }): Promise<number[]>;
}
