/** The shapes of withstand's JSON API (see src/server/server.ts), as the dashboard reads them. */
// The server's own types, so the dashboard and the API cannot drift apart.
export type { MetricVerdict } from "../../src/core/judge.js";
export type { ContractCheck, ContractInteraction } from "../../src/core/pact/gate.js";
export type { FaultSpan as Span, Instant, Point, Timeline } from "../../src/core/timeline.js";
export type { RunSummary } from "../../src/store/store.js";

import type { Timeline } from "../../src/core/timeline.js";
import type { RunSummary } from "../../src/store/store.js";

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
  /** What the fault acts on (core/fault.ts FaultTarget): a process, a proxy, a file, a host. */
  targets: { kind: string; id: string; label: string }[];
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

/** GET /api/groups/NAME: a load group's merged view. */
export interface GroupView {
  group: string;
  generators: { id: string; status: string; outcome: string | null }[];
  windows: number;
  count: number;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
  durationMs: number;
  thresholds: { metric: string; submetric?: string; expression: string; ok: boolean }[];
}

/** GET /api/checks: the monitors' checks (live) and the synthetics the store recorded. */
export interface ChecksView {
  monitors: {
    url: string;
    error?: string;
    health?: {
      systemCode: string;
      name: string;
      ok: boolean;
      severity?: number;
      checks: {
        id: string;
        name: string;
        ok: boolean;
        severity: number;
        businessImpact: string;
        panicGuide: string;
        checkOutput: string;
        lastUpdated: string;
        ack?: string;
      }[];
      kinds: Record<string, string>;
      states: Record<string, { history: { at: number; ok: boolean }[] }>;
      heartbeats: { name: string; deadline: string }[];
    };
  }[];
  synthetics: {
    name: string;
    runs: number;
    passed: number;
    last: { id: string; outcome: string | null; startedAt: string; durationMs: number | null };
    history: { id: string; ok: boolean; at: string }[];
  }[];
}
