import type { AnomalyCheck } from "./anomaly.js";
import type { HostPort } from "./host-port.js";
import type { LoadPlan } from "./load-plan.js";
import type { MetricName } from "./threshold.js";
import type { PureTolerance } from "./tolerance.js";

/** The validated experiment model the engine runs; CTK and native documents both normalise to it. */
export interface HttpProviderSpec extends ProviderSpec {
  type: "http";
  url: string;
  method?: string | undefined;
  headers?: Record<string, string> | undefined;
  arguments?: unknown;
  timeout?: number | readonly [number, number] | undefined;
  verify_tls?: boolean | undefined;
  expected_status?: readonly number[] | undefined;
  max_retries?: number | undefined;
}

export interface ProcessProviderSpec extends ProviderSpec {
  type: "process";
  path: string;
  arguments?: string | readonly string[] | undefined;
  timeout?: number | undefined;
  /** withstand's extension: run on this clock (libfaketime), so a clock-skew fault can move its time. */
  clock?: string | undefined;
}

/** A provider as its kind (probes/<kind>.ts) read it; `type` names the kind. */
export interface ProviderSpec {
  type: string;
}

export interface ProcessSelector {
  pid?: number | undefined;
  command?: string | undefined;
  port?: number | undefined;
}

/** A toxic as the Toxiproxy API takes it. */
export interface ToxicBody {
  type: string;
  name?: string | undefined;
  stream?: string | undefined;
  toxicity?: number | undefined;
  attributes: Record<string, unknown>;
}

/** A native fault: its kind's name and the parameters that kind's schema produced (faults/<kind>.ts). */
export interface FaultSpec {
  kind: string;
  params: unknown;
}

export interface LoadTolerance {
  type: "load";
  /** Name of the load activity whose windows are judged; all load activities when absent. */
  load?: string | undefined;
  thresholds: { metric: MetricName; expression: string }[];
}

export interface ProbeTolerance {
  type: "probe";
  activity: ActivitySpec;
}

/** `{type: anomaly, prometheus, query, ...}`: met unless the detector alerts at the series' latest step. */
export interface AnomalyTolerance {
  type: "anomaly";
  check: AnomalyCheck;
}

export type ToleranceSpec = PureTolerance | LoadTolerance | ProbeTolerance | AnomalyTolerance;

export interface ActivitySpec {
  type: "probe" | "action";
  name: string;
  provider?: ProviderSpec | undefined;
  fault?: FaultSpec | undefined;
  load?: LoadPlan | undefined;
  tolerance?: ToleranceSpec | undefined;
  pauses: { beforeMs: number; afterMs: number };
  background: boolean;
  save?: string | undefined;
  /** Secret scopes the activity may read (CTK `provider.secrets`). */
  secretScopes: readonly string[];
  /** file:line:col of the activity, for errors raised while it runs. */
  loc: string;
  /** The activity as written (after substitution), echoed into the journal. */
  raw: Record<string, unknown>;
}

export type HypothesisStrategy =
  | "default"
  | "before-method-only"
  | "after-method-only"
  | "during-method-only"
  | "continuously";
export type RollbackStrategy = "default" | "always" | "never" | "deviated";

export const HYPOTHESIS_STRATEGIES: readonly HypothesisStrategy[] = [
  "default",
  "before-method-only",
  "after-method-only",
  "during-method-only",
  "continuously",
];
export const ROLLBACK_STRATEGIES: readonly RollbackStrategy[] = ["default", "always", "never", "deviated"];

export interface RuntimeSpec {
  rollbackStrategy?: RollbackStrategy | undefined;
  hypothesisStrategy?: HypothesisStrategy | undefined;
  hypothesisFrequencyMs?: number | undefined;
  failFast?: boolean | undefined;
}

/** Raw activity as written, with where it came from; substituted and validated again at run time. */
export interface RawActivity {
  raw: Record<string, unknown>;
  loc: string;
}

/** Native: judge the run by the error budget it burns (`steady-state-hypothesis.slo`). */
export interface SloHypothesis {
  /** OpenSLO file, resolved against the experiment's directory. */
  file: string;
  name: string;
  /** Share of the SLO period's budget the run may burn, 0-1. */
  maxBudgetBurn: number;
  loc: string;
}

export interface ExperimentSpec {
  /** "ctk" documents keep CTK behaviour; "native" ones opt in to withstand's stricter semantics. */
  flavour: "ctk" | "native";
  title: string;
  description?: string | undefined;
  tags: string[];
  configuration: Record<string, unknown>;
  secrets: Record<string, Record<string, unknown>>;
  hypothesis?: { title: string; probes: RawActivity[]; slo?: SloHypothesis | undefined } | undefined;
  method: RawActivity[];
  rollbacks: RawActivity[];
  runtime: RuntimeSpec;
  /** Native: proxies the runner starts in-process (Toxiproxy populate format, toxics allowed). */
  proxies: Record<string, unknown>[];
  /** Native: a running `withstand proxy` (or Toxiproxy) to drive instead. */
  proxyApi?: string | undefined;
  /** Native: a DNS server the runner starts in-process for `dns` faults (withstand dns, inside the run). */
  dns?:
    | {
        listen: HostPort;
        /** The resolver to forward to: an address, none (only the records), or the system's. */
        upstream: HostPort | "none" | "system";
        records: Record<string, string[]>;
      }
    | undefined;
  /** Native: the kind: Lab file (resolved path) whose lab the run brings up before the hypothesis. */
  lab?: string | undefined;
  /** The document as written, echoed in the journal's `experiment`. */
  raw: Record<string, unknown>;
  file: string;
}
