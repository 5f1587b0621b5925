import type { RunEvent } from "./events.js";
import { fromStored, type StoredWindow, summarize } from "./window.js";

/**
 * What every view of a run draws: per-series points (latency percentiles and error rate per window),
 * the faults as intervals, hypothesis checks and rollout weights as instants. The dashboard and the
 * reports both build on this, so a chart means the same thing everywhere.
 */
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

export interface FaultSpan {
  id: string;
  kind: string;
  activity: string;
  targets: string[];
  from: number;
  /** Undefined while the fault is active. */
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
  faults: FaultSpan[];
  /** Processes a rollout started (its versions): recorded like faults so nothing outlives a run, drawn apart. */
  processes: FaultSpan[];
  checks: Instant[];
  weights: { t: number; weight: number }[];
  analyses: Instant[];
}

export function pointOf(w: StoredWindow): Point {
  const s = summarize(fromStored(w));
  return {
    t: w.start,
    count: s.count,
    errors: s.errors,
    errorRate: s.errorRate,
    p50: s.latencyMs.med,
    p90: s.latencyMs.p90,
    p99: s.latencyMs.p99,
    max: s.latencyMs.max,
  };
}

export function timelineOf(
  run: { startedAt: string; endedAt: string | null },
  events: readonly RunEvent[],
  windows: readonly (StoredWindow & { series: string })[],
): Timeline {
  const series: Record<string, Point[]> = {};
  for (const w of windows) {
    const list = series[w.series] ?? [];
    list.push(pointOf(w));
    series[w.series] = list;
  }
  for (const list of Object.values(series)) list.sort((a, b) => a.t - b.t);
  const faults = new Map<string, FaultSpan>();
  const checks: Instant[] = [];
  const weights: Timeline["weights"] = [];
  const analyses: Instant[] = [];
  for (const e of events) {
    const t = Date.parse(e.ts);
    switch (e.type) {
      case "fault-injected":
        faults.set(e.faultId, {
          id: e.faultId,
          kind: e.kind,
          activity: e.activity,
          targets: e.targets,
          from: t,
        });
        break;
      case "fault-reverted": {
        const f = faults.get(e.faultId);
        if (f) {
          f.to = t;
          f.how = e.how;
        }
        break;
      }
      case "hypothesis-checked":
        checks.push({ t, label: `${e.phase}: ${e.title}`, ok: e.met });
        break;
      case "rollout-weight":
        weights.push({ t, weight: e.weight });
        break;
      case "rollout-measurement":
        analyses.push({
          t,
          label: `${e.step < 0 ? "background" : `step ${e.step + 1}`} #${e.index + 1}: ${e.phase}${e.score !== undefined ? ` (score ${e.score})` : ""}`,
          ok: e.phase === "Successful",
        });
        break;
      default:
        break;
    }
  }
  const start = Date.parse(run.startedAt);
  const lastEvent = events.length > 0 ? Date.parse(events[events.length - 1]?.ts ?? run.startedAt) : start;
  const lastWindow = Math.max(start, ...windows.map((w) => w.end));
  const end = run.endedAt ? Date.parse(run.endedAt) : Math.max(lastEvent, lastWindow);
  const all = [...faults.values()];
  return {
    start,
    end,
    series,
    faults: all.filter((f) => f.kind !== "upstream"),
    processes: all.filter((f) => f.kind === "upstream"),
    checks,
    weights,
    analyses,
  };
}
