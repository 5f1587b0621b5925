import { Worker } from "node:worker_threads";
import type { LoadPlan, Segment } from "../core/load-plan.js";
import type { ThresholdResult } from "../core/threshold.js";
import { evaluateSpec } from "../core/threshold-spec.js";
import { addInto, fromStored, newWindow, type StoredWindow, type Window } from "../core/window.js";
import { runPlan } from "./runner.js";

export interface LoadOutcome {
  /** Every request of the run, merged exactly. */
  total: Window;
  sent: number;
  thresholds: ThresholdResult[];
  /** Set when an abortOnFail threshold stopped the run. */
  abortedBy?: string | undefined;
  interrupted: boolean;
}

export interface CoordinatorOptions {
  signal: AbortSignal;
  /** Each merged one-second window, in order. */
  onWindow?: (window: Window, index: number) => void;
  /**
   * A group member: abortOnFail is judged on the group's merged view (load/group.ts), not on this
   * generator's share; aborting this signal (its reason: the threshold) stops the run as one would.
   */
  groupAbort?: AbortSignal | undefined;
}

/** Worker j of N inside segment i/M runs the combined segment ((i-1)·N + j) / (M·N). */
function subSegment(outer: Segment | undefined, j: number, n: number): Segment {
  const index = outer ? outer.index : 1;
  const count = outer ? outer.count : 1;
  return { index: (index - 1) * n + j, count: count * n };
}

export function evaluateAll(plan: LoadPlan, total: Window): ThresholdResult[] {
  return plan.thresholds.map((t) => evaluateSpec(t, total));
}

/**
 * Runs a plan on this thread or on N worker threads, merges their windows second by second (exactly:
 * histograms add), keeps only a running total in memory, and stops early on an abortOnFail threshold.
 */
export async function runLoad(plan: LoadPlan, opts: CoordinatorOptions): Promise<LoadOutcome> {
  const epoch = Date.now();
  const total = newWindow(epoch);
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  opts.signal.addEventListener("abort", onOuterAbort, { once: true });
  let abortedBy: string | undefined;
  const onGroupAbort = () => {
    abortedBy ??= String(opts.groupAbort?.reason);
    stop.abort();
  };
  if (opts.groupAbort?.aborted) onGroupAbort();
  else opts.groupAbort?.addEventListener("abort", onGroupAbort, { once: true });
  const workers = Math.max(1, plan.workers);
  const partial = new Map<number, { window: Window; reports: number }>();
  let nextIndex = 0;

  const emit = (index: number, window: Window) => {
    addInto(total, window);
    total.end = Math.max(total.end, window.end);
    opts.onWindow?.(window, index);
    const elapsed = window.end - epoch;
    for (const t of opts.groupAbort ? [] : plan.thresholds) {
      if (!t.abortOnFail || abortedBy || elapsed < t.delayAbortEvalMs) continue;
      const r = evaluateSpec(t, total);
      if (!r.ok) {
        abortedBy = `${r.submetric ?? t.metric} ${t.expression}`;
        stop.abort();
      }
    }
  };
  const receive = (index: number, window: Window) => {
    if (workers === 1) {
      emit(index, window);
      return;
    }
    const slot = partial.get(index) ?? { window: newWindow(window.start), reports: 0 };
    slot.window.end = Math.max(slot.window.end, window.end);
    addInto(slot.window, window);
    slot.reports++;
    partial.set(index, slot);
    // Windows are emitted in order once every worker has reported them.
    for (let s = partial.get(nextIndex); s && s.reports >= workers; s = partial.get(nextIndex)) {
      partial.delete(nextIndex);
      emit(nextIndex++, s.window);
    }
  };

  let sent = 0;
  try {
    if (workers === 1) {
      sent = (await runPlan(plan, { epoch, signal: stop.signal, onWindow: receive })).sent;
    } else {
      const url = new URL("./worker.js", import.meta.url);
      const runs = Array.from({ length: workers }, (_, j) => {
        const segPlan: LoadPlan = {
          ...plan,
          workers: 1,
          segment: subSegment(plan.segment, j + 1, workers),
          connections: Math.max(1, Math.ceil(plan.connections / workers)),
        };
        const worker = new Worker(url, { workerData: { plan: segPlan, epoch } });
        const onAbort = () => worker.postMessage({ type: "abort" });
        stop.signal.addEventListener("abort", onAbort, { once: true });
        return new Promise<number>((resolve, reject) => {
          worker.on("message", (m: { type: string; index: number; window: StoredWindow; sent: number }) => {
            if (m.type === "window") receive(m.index, fromStored(m.window));
            else if (m.type === "done") resolve(m.sent);
          });
          worker.on("error", reject);
          worker.on("exit", (code) => {
            stop.signal.removeEventListener("abort", onAbort);
            if (code !== 0) reject(new Error(`load worker exited with ${code}`));
          });
        });
      });
      sent = (await Promise.all(runs)).reduce((a, b) => a + b, 0);
      // Windows some worker never reached (it stopped early) still count.
      for (const index of [...partial.keys()].sort((a, b) => a - b)) {
        const slot = partial.get(index);
        if (slot) emit(index, slot.window);
      }
    }
  } finally {
    opts.signal.removeEventListener("abort", onOuterAbort);
    opts.groupAbort?.removeEventListener("abort", onGroupAbort);
  }
  return { total, sent, thresholds: evaluateAll(plan, total), abortedBy, interrupted: opts.signal.aborted };
}
