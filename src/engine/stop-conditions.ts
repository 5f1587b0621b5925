import type { AnomalyCheck } from "../core/anomaly.js";
import type { EventBus, Phase } from "../core/events.js";
import type { RawActivity } from "../core/experiment.js";
import { NO_SERVICES } from "../core/service.js";
import { sleep } from "../core/sleep.js";
import { judgeAnomaly } from "../metrics/anomaly.js";
import { SafetyRegistry } from "../safety/registry.js";
import { stateDir } from "../safety/state.js";
import { runActivity } from "./activity.js";
import type { RunContext } from "./context.js";
import { dirOf, probeServices } from "./probe-services.js";

/** A stop condition as the watcher evaluates it (documents/gameday.ts reads them). */
export type WatchedCondition =
  | { kind: "probe"; name: string; probe: RawActivity }
  | { kind: "slo"; name: string; file: string; alert: "page" | "ticket" }
  | { kind: "prometheus"; name: string; url: string; expr: string }
  | { kind: "anomaly"; name: string; check: AnomalyCheck };

/** One evaluation of one condition: tripped or not, and what it saw. */
export interface Evaluation {
  tripped: boolean;
  value: string;
}

/** An SLO's page (or ticket) alert, judged by whoever can read its SLI source (the CLI wires metrics/ in). */
export type SloPageCheck = (
  file: string,
  signal: AbortSignal,
  severity?: "page" | "ticket" | undefined,
) => Promise<Evaluation>;

export interface Trip {
  condition: string;
  value: string;
  ts: string;
}

export interface WatchOptions {
  runId: string;
  bus: EventBus;
  /** The game day's file: probe paths (Gossfiles, synthetics) resolve from its directory. */
  file: string;
  intervalMs: number;
  signal: AbortSignal;
  sloPage?: SloPageCheck | undefined;
  /** Called once, on the first condition that trips. */
  onTrip(trip: Trip): void;
}

/** What probes need of a run, outside an experiment: they inject nothing, so the registry is never opened. */
function probeContext(runId: string, bus: EventBus, file: string): RunContext {
  return {
    runId,
    bus,
    registry: new SafetyRegistry(stateDir(), runId, bus, "game day probes"),
    native: true,
    dryRun: false,
    allowRemote: false,
    configuration: {},
    secrets: {},
    secretValues: [],
    saved: {},
    loads: new Map(),
    probes: probeServices(dirOf(file)),
    services: NO_SERVICES,
  };
}

/** What `--dry-run` says a condition watches. */
export function describeCondition(c: WatchedCondition): string {
  if (c.kind === "probe") {
    const p = c.probe.raw.provider as Record<string, unknown> | undefined;
    const what = p
      ? `${String(p.type)} ${String(p.url ?? p.path ?? p.file ?? p.command ?? "")}`.trim()
      : "probe";
    return `${c.name}: probe ${what}; trips when it fails or its tolerance is not met`;
  }
  if (c.kind === "slo") return `${c.name}: the burn-rate ${c.alert} alert of ${c.file}; trips when it fires`;
  if (c.kind === "anomaly")
    return `${c.name}: anomalies in ${c.check.query} at ${c.check.prometheus}; trips when the detector alerts`;
  return `${c.name}: ${c.expr} at ${c.url}; trips when the result is not empty`;
}

const PROMETHEUS_TIMEOUT_MS = 10_000;

async function prometheusEval(url: string, expr: string, signal: AbortSignal): Promise<Evaluation> {
  const u = new URL("/api/v1/query", url);
  u.searchParams.set("query", expr);
  // Our own timer, held until the answer is read: a signal from AbortSignal.any/timeout can be
  // collected before it fires (Node 20), and the check then hung for good instead of tripping.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), PROMETHEUS_TIMEOUT_MS);
  const onStop = () => timeout.abort();
  signal.addEventListener("abort", onStop, { once: true });
  let res: Response;
  let body: { status?: string; error?: string; data?: { result?: unknown } };
  try {
    res = await fetch(u, { signal: timeout.signal });
    body = (await res.json()) as typeof body;
  } catch (err) {
    // No answer in time: the check hangs, and a hanging check is a failing one (it trips).
    if (timeout.signal.aborted && !signal.aborted)
      return { tripped: true, value: `prometheus ${u.host}: no answer within ${PROMETHEUS_TIMEOUT_MS}ms` };
    throw err;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onStop);
  }
  if (!res.ok || body.status !== "success")
    throw new Error(`prometheus ${u.host}: ${body.error ?? `HTTP ${res.status}`}`);
  const result = body.data?.result;
  const empty = Array.isArray(result) ? result.length === 0 : result === undefined || result === null;
  return { tripped: !empty, value: JSON.stringify(result).slice(0, 300) };
}

/**
 * Evaluates a game day's stop conditions until `signal` aborts or one trips. Each condition has its own
 * loop and its own evaluation in flight: one that hangs (a health endpoint that accepts and never
 * answers) never delays the others, so a trip of any condition is seen within one interval of it
 * happening. A condition whose evaluation outlasts the interval is warned of once; it is not evaluated
 * again until its evaluation ends (its probe's own timeout bounds it). Probes run as hypothesis probes
 * (their `activity-finished` events land on the run's timeline, so they are its detectors): a probe that
 * fails, times out or misses its tolerance trips. A Prometheus query that gets no answer within its 10 s
 * timeout trips too (a check that hangs is a failing check); one that is refused or answers with an
 * error is a warning, not a trip.
 */
export async function watchStopConditions(
  conditions: readonly WatchedCondition[],
  opts: WatchOptions,
): Promise<void> {
  if (conditions.length === 0) return;
  const ctx = probeContext(opts.runId, opts.bus, opts.file);
  const phase: Phase = "hypothesis-during";
  // The first trip ends every loop and aborts the evaluations still in flight.
  const done = new AbortController();
  const signal = AbortSignal.any([opts.signal, done.signal]);
  const evaluate = async (c: WatchedCondition): Promise<Evaluation> => {
    if (c.kind === "probe") {
      const { run } = await runActivity(c.probe, phase, "hypothesis", ctx, signal);
      const tripped = run.status === "failed" || run.tolerance_met === false;
      const value =
        run.status === "failed" ? (run.exception ?? ["failed"]).join(" ") : JSON.stringify(run.output);
      return { tripped, value: (value ?? "null").slice(0, 300) };
    }
    if (c.kind === "prometheus") return prometheusEval(c.url, c.expr, signal);
    if (c.kind === "anomaly") {
      const v = await judgeAnomaly(c.check, Date.now());
      return { tripped: v.anomalous, value: v.reason.slice(0, 300) };
    }
    if (!opts.sloPage) throw new Error(`${c.name}: no SLO source is available to judge the page alert`);
    return opts.sloPage(c.file, signal, c.alert);
  };
  const warn = (message: string) =>
    opts.bus.emit({ type: "warning", runId: opts.runId, ts: new Date().toISOString(), message });
  let tripped = false;
  const watchOne = async (c: WatchedCondition): Promise<void> => {
    let warnedSlow = false;
    while (!signal.aborted && !tripped) {
      const started = Date.now();
      const slow = setTimeout(() => {
        if (warnedSlow || signal.aborted || tripped) return;
        warnedSlow = true;
        warn(
          `stop condition ${c.name} takes longer than the ${opts.intervalMs} ms interval to evaluate; ` +
            "the other conditions are still evaluated every interval",
        );
      }, opts.intervalMs);
      let e: Evaluation | undefined;
      try {
        e = await evaluate(c);
      } catch (err) {
        if (!signal.aborted)
          warn(`stop condition ${c.name} could not be evaluated: ${(err as Error).message}`);
      } finally {
        clearTimeout(slow);
      }
      if (e?.tripped && !tripped && !signal.aborted) {
        tripped = true;
        opts.onTrip({ condition: c.name, value: e.value, ts: new Date().toISOString() });
        done.abort();
        return;
      }
      await sleep(started + opts.intervalMs - Date.now(), signal);
    }
  };
  await Promise.all(conditions.map(watchOne));
}

/** Checks a steady state's probes once (before or after a game day's steps); emits `hypothesis-checked`. */
export async function checkSteadyState(
  probes: readonly RawActivity[],
  opts: {
    runId: string;
    bus: EventBus;
    file: string;
    phase: "hypothesis-before" | "hypothesis-after";
    title: string;
    signal: AbortSignal;
  },
): Promise<boolean> {
  const ctx = probeContext(opts.runId, opts.bus, opts.file);
  let met = true;
  for (const p of probes) {
    if (opts.signal.aborted) break;
    const { run } = await runActivity(p, opts.phase, "hypothesis", ctx, opts.signal);
    if (run.status === "failed" || run.tolerance_met === false) {
      met = false;
      break;
    }
  }
  opts.bus.emit({
    type: "hypothesis-checked",
    runId: opts.runId,
    ts: new Date().toISOString(),
    phase: opts.phase,
    met,
    title: opts.title,
  });
  return met;
}
