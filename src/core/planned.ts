import type { RunEvent } from "./events.js";

/**
 * Planned chaos: the spans during which a run held a fault (injection → revert), declared planned so
 * that they stay out of the error budget (a game day's harm is bought, not lost).
 */
export interface PlannedWindow {
  /** Milliseconds since the epoch; `end` is after `start`. */
  start: number;
  end: number;
  /** The runs whose faults made this span (after merging, every one of them). */
  runs: string[];
}

/**
 * A run's fault windows from its events: each fault from `fault-injected` to its `fault-reverted`.
 * A fault with no revert on record (the run was killed; the watchdog reverted it later) lasts until
 * `endMs` (the run's end, or now). Overlapping faults of one run make one window.
 */
export function faultWindows(runId: string, events: readonly RunEvent[], endMs: number): PlannedWindow[] {
  const open = new Map<string, number>();
  const spans: PlannedWindow[] = [];
  for (const e of events) {
    if (e.type === "fault-injected") {
      if (!open.has(e.faultId)) open.set(e.faultId, Date.parse(e.ts));
    } else if (e.type === "fault-reverted") {
      const start = open.get(e.faultId);
      if (start === undefined) continue;
      open.delete(e.faultId);
      spans.push({ start, end: Math.max(start, Date.parse(e.ts)), runs: [runId] });
    }
  }
  for (const start of open.values()) spans.push({ start, end: Math.max(start, endMs), runs: [runId] });
  return mergeWindows(spans);
}

/** Sorted, non-overlapping windows (touching ones join); each keeps every run that made it. */
export function mergeWindows(windows: readonly PlannedWindow[]): PlannedWindow[] {
  const sorted = windows
    .filter((w) => Number.isFinite(w.start) && Number.isFinite(w.end))
    .map((w) => ({ start: w.start, end: Math.max(w.start, w.end), runs: [...w.runs] }))
    .sort((a, b) => a.start - b.start);
  const out: PlannedWindow[] = [];
  for (const w of sorted) {
    const last = out.at(-1);
    if (last && w.start <= last.end) {
      last.end = Math.max(last.end, w.end);
      for (const r of w.runs) if (!last.runs.includes(r)) last.runs.push(r);
    } else out.push(w);
  }
  return out;
}

/** The windows that overlap [fromMs, toMs], clipped to it. */
export function clipWindows(
  windows: readonly PlannedWindow[],
  fromMs: number,
  toMs: number,
): PlannedWindow[] {
  return windows.flatMap((w) =>
    w.end <= fromMs || w.start >= toMs
      ? []
      : [{ start: Math.max(w.start, fromMs), end: Math.min(w.end, toMs), runs: w.runs }],
  );
}

/** Whether the span [fromMs, toMs) overlaps any window (a slice that does is left out). */
export function overlapsAny(windows: readonly PlannedWindow[], fromMs: number, toMs: number): boolean {
  return windows.some((w) => w.start < toMs && w.end > fromMs);
}

const secs = (ms: number) => Number((ms / 1000).toFixed(3));

/**
 * A PromQL expression that has a (label-less) sample exactly when the evaluation time is in a step that
 * overlaps a planned window, and none otherwise. It reads `time()`, so inside a subquery it is judged at
 * each inner step: `(X unless on() MASK)[30d:1m]` drops X's steps that overlap planned chaos, over any
 * history the TSDB holds. A step evaluated at t covers (t - step, t], so it overlaps [start, end] when
 * start < t < end + step. Empty `windows` give an expression that never has a sample.
 */
export function plannedMaskExpr(windows: readonly PlannedWindow[], stepMs: number): string {
  if (windows.length === 0) return "vector(1) unless on() vector(1)";
  return windows
    .map((w) => `(vector(time()) > ${secs(w.start)} and vector(time()) < ${secs(w.end + stepMs)})`)
    .join(" or ");
}

/** Total planned time in milliseconds. */
export function plannedMs(windows: readonly PlannedWindow[]): number {
  return mergeWindows(windows).reduce((n, w) => n + (w.end - w.start), 0);
}

/**
 * The parts of [fromMs, toMs) outside every window, for counting what is left of a budget. With
 * `alignMs` (a time slice), a window takes whole slices counted from `fromMs`: a slice it touches is out.
 */
export function gapsBetween(
  windows: readonly PlannedWindow[],
  fromMs: number,
  toMs: number,
  alignMs = 0,
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let cursor = fromMs;
  for (const w of mergeWindows(clipWindows(windows, fromMs, toMs))) {
    const start = alignMs > 0 ? fromMs + Math.floor((w.start - fromMs) / alignMs) * alignMs : w.start;
    const end =
      alignMs > 0 ? Math.min(toMs, fromMs + Math.ceil((w.end - fromMs) / alignMs) * alignMs) : w.end;
    if (start > cursor) out.push({ start: cursor, end: start });
    cursor = Math.max(cursor, end);
  }
  if (cursor < toMs) out.push({ start: cursor, end: toMs });
  return out;
}
