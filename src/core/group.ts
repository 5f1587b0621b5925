import type { ThresholdSpec } from "./load-plan.js";
import type { ThresholdResult } from "./threshold.js";
import { evaluateSpec } from "./threshold-spec.js";
import { addInto, fromStored, newWindow, type StoredWindow, type Window } from "./window.js";

/**
 * The merged view of a load group: every generator's windows added exactly (histograms add), each
 * window once, however often the view is refreshed. What `load report --group`, the dashboard and
 * the generators' shared abortOnFail judge.
 */
export class GroupTotal {
  /** Spans from the first window's start to the newest one's end (nothing yet: an empty span). */
  readonly total: Window = Object.assign(newWindow(Number.POSITIVE_INFINITY), {
    end: Number.NEGATIVE_INFINITY,
  });
  private readonly lastStart = new Map<string, number>();
  private windows = 0;

  /** The start of the newest window taken from a member: read only what comes after it. */
  after(runId: string): number {
    return this.lastStart.get(runId) ?? -1;
  }

  /** Adds a member's windows; ones at or before its last start were already counted and are skipped. */
  add(runId: string, windows: readonly StoredWindow[]): void {
    let last = this.after(runId);
    for (const stored of windows) {
      if (stored.start <= last) continue;
      last = stored.start;
      const w = fromStored(stored);
      addInto(this.total, w);
      this.total.start = Math.min(this.total.start, w.start);
      this.total.end = Math.max(this.total.end, w.end);
      this.windows++;
    }
    this.lastStart.set(runId, last);
  }

  get members(): number {
    return this.lastStart.size;
  }

  get windowCount(): number {
    return this.windows;
  }

  /** Milliseconds the group has been measured: from its first window's start to its newest's end. */
  get elapsedMs(): number {
    return this.windows === 0 ? 0 : this.total.end - this.total.start;
  }

  evaluate(thresholds: readonly ThresholdSpec[]): ThresholdResult[] {
    return thresholds.map((t) => evaluateSpec(t, this.total));
  }

  /** The first abortOnFail threshold the merged view fails, once past its delay; undefined otherwise. */
  abortReason(thresholds: readonly ThresholdSpec[]): string | undefined {
    for (const t of thresholds) {
      if (!t.abortOnFail || this.elapsedMs < t.delayAbortEvalMs || this.windows === 0) continue;
      const r = evaluateSpec(t, this.total);
      if (!r.ok) return `${r.submetric ?? t.metric} ${t.expression}`;
    }
    return undefined;
  }
}
