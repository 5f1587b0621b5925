/** The shapes of withstand's JSON API (see src/server/server.ts), as the dashboard reads them. */
export interface RunSummary {
  id: string;
  kind: string;
  title: string;
  source: string;
  status: string;
  deviated: boolean;
  outcome: string | null;
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
}

export interface Point {
  t: number;
  count: number;
  errors: number;
  errorRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Span {
  id: string;
  kind: string;
  activity: string;
  targets: string[];
  from: number;
  to?: number;
  how?: string;
}

export interface Instant {
  t: number;
  label: string;
  ok?: boolean;
}

export interface Timeline {
  start: number;
  end: number;
  series: Record<string, Point[]>;
  faults: Span[];
  processes: Span[];
  checks: Instant[];
  weights: { t: number; weight: number }[];
  analyses: Instant[];
}

export interface MetricVerdict {
  name: string;
  classification: string;
  critical: boolean;
  reason: string;
}

export interface RunEvent {
  runId: string;
  ts: string;
  type: string;
  [key: string]: unknown;
}

export interface RunDetail extends RunSummary {
  result: { reason?: string; withstand?: { reason: string } } | null;
  events: RunEvent[];
  timeline: Timeline;
}

export interface ActiveFault {
  id: string;
  runId: string;
  runnerPid: number;
  kind: string;
  activity: string;
  targets: { pid: number; command: string }[];
  injectedAt: string;
  leaseAgeMs: number;
}

export interface RolloutStatus {
  name: string;
  runId: string;
  phase: string;
  message: string;
  step: number;
  steps: string[];
  weight: number;
  stable: { requests: number; errors: number };
  canary: { requests: number; errors: number };
}

export interface Health {
  activeFaults: ActiveFault[];
  activeRunners: { runId: string; pid: number; title: string; startedAt: string }[];
  rollouts: RolloutStatus[];
  running: RunSummary[];
}

export interface SloView {
  status: {
    slo: string;
    service: string;
    objective: string;
    budget: { sli: number; target: number; budgetRemainingFraction: number; budgetTotal: number };
    burnRates: Record<string, number>;
    timeToExhaustionMs: number | null;
    alerts: {
      severity: string;
      long: string;
      short: string;
      factor: number;
      firing: boolean;
      canFire: boolean;
    }[];
    events: number;
  };
  burn: { t: number; burn: number }[];
}
