/** The OpenSLO v1 documents withstand reads, resolved (refs followed) into one model per SLO. */
export interface MetricSource {
  /** Data source type: "prometheus", or "withstand" for the tool's own windows. */
  type: string;
  /** PromQL (may contain {{.window}}), or for withstand sources the series name. */
  query: string;
  url?: string | undefined;
}

export interface Indicator {
  name: string;
  ratio?:
    | {
        counter: boolean;
        good?: MetricSource | undefined;
        bad?: MetricSource | undefined;
        total: MetricSource;
      }
    | undefined;
  threshold?: MetricSource | undefined;
}

export interface Objective {
  displayName?: string | undefined;
  target: number;
  op?: "lt" | "lte" | "gt" | "gte" | undefined;
  value?: number | undefined;
  timeSliceTarget?: number | undefined;
  timeSliceWindowMs?: number | undefined;
}

export interface AlertConditionDef {
  name: string;
  severity: string;
  op: "lt" | "lte" | "gt" | "gte";
  threshold: number;
  lookbackMs: number;
  alertAfterMs: number;
}

export interface Slo {
  name: string;
  service: string;
  description?: string | undefined;
  indicator: Indicator;
  periodMs: number;
  rolling: boolean;
  budgetingMethod: "Occurrences" | "Timeslices" | "RatioTimeslices";
  objectives: Objective[];
  conditions: AlertConditionDef[];
  labels: Record<string, string>;
  loc: string;
}
