import { ArrivalSchedule, segmentIndexes, shareOf, vusAt } from "../core/arrival.js";
import { LatencyBatch } from "../core/histogram.js";
import { executorDurationMs, isOpenModel, type LoadPlan } from "../core/load-plan.js";
import { sleep } from "../core/sleep.js";
import { filterMatches, filtersOf } from "../core/tags.js";
import {
  flushBatches,
  newWindow,
  recordSample,
  type Sample,
  type SampleBatches,
  taggedWindow,
  type Window,
} from "../core/window.js";
import type { RawResult } from "./raw-http.js";
import { createTransport, type Transport } from "./transport.js";

export const WINDOW_MS = 1000;

export interface RunnerOptions {
  /** Wall-clock ms all workers align their windows to. */
  epoch: number;
  signal: AbortSignal;
  /** Called with each closed window, in order; `index` counts seconds since `epoch`. */
  onWindow: (index: number, window: Window) => void;
}

function errorClass(status: number | undefined, error: string | undefined): string | undefined {
  if (error !== undefined) return error;
  if (status === undefined) return "other";
  return status >= 500 ? "5xx" : status >= 400 ? "4xx" : undefined;
}

/** Windows keyed by second since the epoch; closed and handed on as time passes. */
class WindowClock {
  private readonly open = new Map<number, Window>();
  private nextToClose = 0;

  constructor(
    private readonly epoch: number,
    private readonly onWindow: RunnerOptions["onWindow"],
    /** Closed model: latency and service time are the same measurement, recorded once. */
    private readonly mirrorService: boolean,
  ) {}

  /** The last window handed out, while open: nearly every response lands in the same one as the one before. */
  private recent: Window | undefined;
  private recentIndex = -1;
  /** Each open window's latencies, counted by value until it closes; emptied batches are reused. */
  private readonly batches = new Map<number, SampleBatches>();
  private readonly spare: SampleBatches[] = [];
  /** The batches of the window `at` returned last. */
  private current: SampleBatches | undefined;

  at(wallMs: number): Window {
    const r = this.recent;
    if (r !== undefined && wallMs >= r.start && wallMs < r.start + WINDOW_MS) return r;
    const index = Math.max(this.nextToClose, Math.floor((wallMs - this.epoch) / WINDOW_MS));
    let w = this.open.get(index);
    if (!w) {
      w = newWindow(this.epoch + index * WINDOW_MS);
      w.end = w.start + WINDOW_MS;
      this.open.set(index, w);
    }
    let b = this.batches.get(index);
    if (!b) {
      b = this.spare.pop() ?? { latency: new LatencyBatch(), service: new LatencyBatch() };
      this.batches.set(index, b);
    }
    this.recent = w;
    this.recentIndex = index;
    this.current = b;
    return w;
  }

  /** Records a response in the window of `wallMs`, its latencies batched until it closes; returns the window. */
  record(wallMs: number, sample: Sample): Window {
    const w = this.at(wallMs);
    recordSample(w, sample, this.current);
    return w;
  }

  /** Closes every window that ended before `wallMs`. */
  tick(wallMs: number): void {
    const upTo = Math.floor((wallMs - this.epoch) / WINDOW_MS);
    while (this.nextToClose < upTo) this.closeIndex(this.nextToClose++);
  }

  flush(wallMs: number): void {
    this.tick(wallMs);
    const last = this.open.get(this.nextToClose);
    if (last) {
      last.end = Math.max(last.start, Math.min(last.end, wallMs));
      this.closeIndex(this.nextToClose++);
    }
  }

  private closeIndex(index: number): void {
    const w =
      this.open.get(index) ??
      Object.assign(newWindow(this.epoch + index * WINDOW_MS), { end: this.epoch + (index + 1) * WINDOW_MS });
    this.open.delete(index);
    if (index === this.recentIndex) {
      this.recent = undefined;
      this.current = undefined;
    }
    const b = this.batches.get(index);
    if (b) {
      flushBatches(w, b);
      this.batches.delete(index);
      this.spare.push(b);
    }
    if (this.mirrorService) for (const x of [w, ...Object.values(w.tagged ?? {})]) x.service.add(x.latency);
    this.onWindow(index, w);
  }
}

function picker(plan: LoadPlan): () => number {
  if (plan.requests.length === 1) return () => 0;
  const cumulative: number[] = [];
  let total = 0;
  for (const r of plan.requests) {
    total += r.weight;
    cumulative.push(total);
  }
  return () => {
    const x = Math.random() * total;
    const i = cumulative.findIndex((c) => x < c);
    return i === -1 ? cumulative.length - 1 : i;
  };
}

/** Counts requests in flight and resolves `drained()` when none are left. */
class InFlight {
  count = 0;
  private waiter: (() => void) | undefined;
  add(): void {
    this.count++;
  }
  done(): void {
    this.count--;
    if (this.count === 0 && this.waiter) this.waiter();
  }
  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => (this.waiter = resolve));
  }
}

/** Runs a plan (or its segment) on this thread until its schedule ends, its request bound is hit, or it is aborted. */
export async function runPlan(plan: LoadPlan, opts: RunnerOptions): Promise<{ sent: number }> {
  const transport = createTransport(plan.requests, plan.connections, plan.timeoutMs);
  const clock = new WindowClock(opts.epoch, opts.onWindow, !isOpenModel(plan.executor));
  // performance.now() is monotonic; wall time is derived from it so windows never jump with the system clock.
  const t0 = performance.now() - (Date.now() - opts.epoch);
  const wall = (perf: number) => opts.epoch + (perf - t0);
  const ticker = setInterval(() => clock.tick(wall(performance.now())), 100);
  const pending = new InFlight();
  const model: Model = {
    plan,
    transport,
    clock,
    t0,
    wall,
    signal: opts.signal,
    pending,
    record: recorderFor(plan, clock, wall),
  };
  let sent = 0;
  try {
    sent = isOpenModel(plan.executor) ? await openModel(model) : await closedModel(model);
    await pending.drained();
  } finally {
    clearInterval(ticker);
    await transport.close();
    clock.flush(wall(performance.now()));
  }
  return { sent };
}

/** What both executors' loops share. */
interface Model {
  plan: LoadPlan;
  transport: Transport;
  clock: WindowClock;
  /** performance.now() at the epoch. */
  t0: number;
  wall: (perf: number) => number;
  signal: AbortSignal;
  pending: InFlight;
  /**
   * Records a response in the window of its arrival, and in each sub-metric's sub-window it matches.
   * Latency runs from the intended send time when there is one (open model), else from the send.
   */
  record: (template: number, r: RawResult, intendedAt?: number) => void;
}

/** The recorder for a plan: with no sub-metric thresholds, just the window. */
function recorderFor(plan: LoadPlan, clock: WindowClock, wall: (perf: number) => number): Model["record"] {
  const filters = filtersOf(plan.thresholds, plan.requests);
  const mirrorService = !isOpenModel(plan.executor);
  return (template, r, intendedAt) => {
    const done = performance.now();
    const status = "status" in r ? r.status : undefined;
    // One shape for every sample (no spread): this runs once per response.
    const sample: Sample = {
      latencyMicros: (done - (intendedAt ?? r.sentAt)) * 1000,
      serviceMicros: mirrorService ? undefined : (done - r.sentAt) * 1000,
      status,
      errorClass: errorClass(status, "error" in r ? r.error : undefined),
    };
    const w = clock.record(wall(done), sample);
    for (const f of filters)
      if (filterMatches(f, template, status)) recordSample(taggedWindow(w, f.key), sample);
  };
}

async function openModel({
  plan,
  transport,
  clock,
  t0,
  wall,
  signal,
  pending,
  record,
}: Model): Promise<number> {
  const executor = plan.executor as Extract<
    LoadPlan["executor"],
    { type: "constant-arrival-rate" | "ramping-arrival-rate" }
  >;
  const schedule = new ArrivalSchedule(executor);
  const peakRate =
    executor.type === "constant-arrival-rate"
      ? executor.rate
      : Math.max(executor.startRate, ...executor.stages.map((s) => s.target));
  // Requests wait for a connection up to this many; beyond it they are dropped (and counted), as k6 does.
  const maxQueue = Math.max(1000, Math.ceil(peakRate * 5));
  const pick = picker(plan);
  const { first, step } = segmentIndexes(plan.segment);
  const bound = shareOf(plan.maxRequests, plan.segment);
  let k = first;
  let sent = 0;
  while (!signal.aborted && sent < bound) {
    const due = schedule.timeOf(k);
    if (due === undefined) break;
    const intended = t0 + due;
    const wait = intended - performance.now();
    // Timers are only millisecond-precise: sleep for long waits, and yield to I/O for short ones.
    if (wait > 1.5) await sleep(wait - 0.5, signal);
    else await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal.aborted) break;
    // Fire everything that is due now; a late timer catches up instead of shifting the schedule.
    let next = schedule.timeOf(k);
    while (next !== undefined && t0 + next <= performance.now() && sent < bound) {
      const intendedAt = t0 + next;
      if (transport.queued >= maxQueue) clock.at(wall(intendedAt)).dropped += 1;
      else {
        pending.add();
        const template = pick();
        transport.send(template, (r) => {
          record(template, r, intendedAt);
          pending.done();
        });
      }
      sent++;
      k += step;
      next = schedule.timeOf(k);
    }
  }
  return sent;
}

async function closedModel({ plan, transport, t0, signal, pending, record }: Model): Promise<number> {
  const executor = plan.executor as Extract<LoadPlan["executor"], { type: "constant-vus" | "ramping-vus" }>;
  const durationMs = executorDurationMs(executor);
  const pick = picker(plan);
  const bound = shareOf(plan.maxRequests, plan.segment);
  let sent = 0;
  let want = 0;
  const active = new Set<number>();
  // Each VU's template in flight and its one answer callback, made once rather than per request.
  const templateOf: number[] = [];
  const answered: ((r: RawResult) => void)[] = [];
  const callbackFor = (id: number) =>
    (answered[id] ??= (r: RawResult) => {
      record(templateOf[id] ?? 0, r);
      loop(id);
    });
  // A VU sends, waits for the answer, records it, and sends again while it is wanted.
  const loop = (id: number): void => {
    if (signal.aborted || sent >= bound || performance.now() - t0 >= durationMs || id >= want) {
      active.delete(id);
      pending.done();
      return;
    }
    sent++;
    const template = pick();
    templateOf[id] = template;
    transport.send(template, callbackFor(id));
  };
  while (!signal.aborted && sent < bound && performance.now() - t0 < durationMs) {
    want = shareOf(vusAt(executor, performance.now() - t0), plan.segment);
    for (let id = 0; id < want; id++) {
      if (active.has(id)) continue;
      active.add(id);
      pending.add();
      loop(id);
    }
    await sleep(Math.min(100, durationMs - (performance.now() - t0)), signal);
  }
  return sent;
}
