import type { Executor, Segment, Stage } from "./load-plan.js";

/**
 * Open-model arrival times. The k-th request of the whole test is due at timeOf(k) ms after the start,
 * where the cumulative count ∫rate reaches k. A segment i/N owns the requests k ≡ i-1 (mod N), so N
 * segments together send exactly the schedule of one generator.
 */
export class ArrivalSchedule {
  private readonly stages: { start: number; duration: number; r0: number; r1: number; n0: number }[] = [];
  readonly totalRequests: number;
  readonly durationMs: number;

  constructor(executor: Extract<Executor, { type: "constant-arrival-rate" | "ramping-arrival-rate" }>) {
    const plan: Stage[] =
      executor.type === "constant-arrival-rate"
        ? [{ target: executor.rate, durationMs: executor.durationMs }]
        : executor.stages;
    let rate = executor.type === "constant-arrival-rate" ? executor.rate : executor.startRate;
    let start = 0;
    let n = 0;
    for (const s of plan) {
      const seconds = s.durationMs / 1000;
      this.stages.push({ start, duration: seconds, r0: rate, r1: s.target, n0: n });
      n += ((rate + s.target) / 2) * seconds;
      start += seconds;
      rate = s.target;
    }
    this.totalRequests = Math.floor(n + 1e-9);
    this.durationMs = start * 1000;
  }

  /** Milliseconds after the start at which request k (0-based) is due, or undefined past the end. */
  timeOf(k: number): number | undefined {
    if (k >= this.totalRequests) return undefined;
    // Request k is due when the cumulative count reaches k (the first one at t = 0).
    for (const s of this.stages) {
      const stageCount = ((s.r0 + s.r1) / 2) * s.duration;
      if (k < s.n0 + stageCount - 1e-9 || s === this.stages.at(-1)) {
        const need = k - s.n0;
        const slope = s.duration > 0 ? (s.r1 - s.r0) / s.duration : 0;
        let t: number;
        if (Math.abs(slope) < 1e-12) t = s.r0 > 0 ? need / s.r0 : s.duration;
        else {
          // need = r0 t + slope t²/2  →  t = (-r0 + sqrt(r0² + 2 slope need)) / slope
          const disc = Math.max(0, s.r0 * s.r0 + 2 * slope * need);
          t = (-s.r0 + Math.sqrt(disc)) / slope;
        }
        return (s.start + Math.min(Math.max(t, 0), s.duration)) * 1000;
      }
    }
    return undefined;
  }
}

/** The global request indexes a segment owns, in order: first, first+N, first+2N, ... */
export function segmentIndexes(segment: Segment | undefined): { first: number; step: number } {
  return segment ? { first: segment.index - 1, step: segment.count } : { first: 0, step: 1 };
}

/** Closed model: how many VUs should run at `elapsedMs`. */
export function vusAt(
  executor: Extract<Executor, { type: "constant-vus" | "ramping-vus" }>,
  elapsedMs: number,
): number {
  if (executor.type === "constant-vus") return executor.vus;
  let from = executor.startVUs;
  let start = 0;
  for (const s of executor.stages) {
    if (elapsedMs < start + s.durationMs) {
      const f = s.durationMs > 0 ? (elapsedMs - start) / s.durationMs : 1;
      return Math.round(from + (s.target - from) * f);
    }
    start += s.durationMs;
    from = s.target;
  }
  return from;
}

/** Splits `total` into `count` integer shares that differ by at most one; share i is 1-based. */
export function shareOf(total: number, segment: Segment | undefined): number {
  if (!segment) return total;
  const base = Math.floor(total / segment.count);
  return base + (segment.index <= total % segment.count ? 1 : 0);
}
