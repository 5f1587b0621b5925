/**
 * `withstand monitor`'s engine: runs every check on its schedule, keeps each one's latest result and
 * history, judges heartbeats, marks a check that has not run recently as failing (n-health's rule),
 * and tells the alerter about every state. Time comes from an injected clock, so a test advances it
 * instead of sleeping.
 */

export type Severity = 1 | 2 | 3;

/** A check the monitor runs: a Goss entry, a synthetic, or a heartbeat it only judges. */
export interface MonitoredCheck {
  /** The FT health id: lowercase letters, digits and hyphens, unique in this monitor. */
  id: string;
  name: string;
  kind: "goss" | "synthetic" | "heartbeat";
  severity: Severity;
  businessImpact: string;
  technicalSummary: string;
  panicGuide: string;
  /** How often it runs (a heartbeat: how often its deadline is judged). */
  intervalMs: number;
  /** Runs it once; a heartbeat instead reports from its pings. */
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export interface CheckOutcome {
  ok: boolean;
  output: string;
  durationMs: number;
}

export interface CheckState {
  ok: boolean;
  output: string;
  /** When it last finished (ms); undefined before its first run. */
  lastUpdated: number | undefined;
  durationMs: number;
  running: boolean;
  /** The most recent results, newest last (at most HISTORY). */
  history: { at: number; ok: boolean; durationMs: number }[];
  ack: { at: number; by: string; note: string } | undefined;
  /** Consecutive failures, for alert thresholds. */
  failures: number;
  /** When its last run started: runs are scheduled from their starts. */
  lastStarted?: number | undefined;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const HISTORY = 60;
/** n-health: a check whose last result is older than its interval plus this is "not run recently". */
export const STALE_GRACE_MS = 1000;

export interface MonitorOptions {
  clock?: Clock;
  /** How often the scheduler looks at the checks (default 1 s). */
  tickMs?: number;
  /** Called after every tick with every check's state, for the alerter and the views. */
  onTick?: (states: ReadonlyMap<string, CheckState>, checks: readonly MonitoredCheck[]) => void;
  /** A run that throws (a bug in a check) is a failed result with this output. */
  onError?: (check: MonitoredCheck, err: Error) => void;
}

export class Monitor {
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly states = new Map<string, CheckState>();
  private readonly byId: ReadonlyMap<string, MonitoredCheck>;
  private readonly started: number;
  private readonly abort = new AbortController();
  private timer: unknown;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    readonly checks: readonly MonitoredCheck[],
    private readonly opts: MonitorOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.tickMs = opts.tickMs ?? 1000;
    this.started = this.clock.now();
    this.byId = new Map(checks.map((c) => [c.id, c]));
    const ids = new Set<string>();
    for (const c of checks) {
      if (ids.has(c.id)) throw new Error(`two checks have the id ${c.id}`);
      ids.add(c.id);
      this.states.set(c.id, {
        ok: false,
        output: "Check has not run yet",
        lastUpdated: undefined,
        durationMs: 0,
        running: false,
        history: [],
        ack: undefined,
        failures: 0,
      });
    }
  }

  /** Starts the schedule: every check runs at once, then every interval. */
  start(): void {
    this.tick();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
  }

  state(id: string): CheckState | undefined {
    return this.states.get(id);
  }

  /**
   * The state the views report: a check whose result is older than its interval (plus a second) is
   * failing with "Check has not run recently", whatever its last result said.
   */
  view(id: string): CheckState | undefined {
    const s = this.states.get(id);
    const c = this.byId.get(id);
    if (!s || !c) return s;
    const since = s.lastUpdated ?? this.started;
    // A run may take a while: the last one's duration is allowed on top of the interval.
    if (this.clock.now() - since > c.intervalMs + s.durationMs + STALE_GRACE_MS)
      return { ...s, ok: false, output: "Check has not run recently" };
    return s;
  }

  views(): Map<string, CheckState> {
    return new Map(this.checks.map((c) => [c.id, this.view(c.id) as CheckState]));
  }

  acknowledge(id: string, by: string, note: string): boolean {
    const s = this.states.get(id);
    if (!s) return false;
    s.ack = { at: this.clock.now(), by, note };
    return true;
  }

  unacknowledge(id: string): boolean {
    const s = this.states.get(id);
    if (!s) return false;
    s.ack = undefined;
    return true;
  }

  /** Runs one check now (as the schedule would), and resolves when its result is recorded. */
  runNow(id: string): Promise<void> {
    const c = this.byId.get(id);
    const s = this.states.get(id);
    if (!c || !s || s.running) return Promise.resolve();
    s.running = true;
    const startedAt = this.clock.now();
    s.lastStarted = startedAt;
    const work = c
      .run(this.abort.signal)
      .catch((err: Error): CheckOutcome => {
        this.opts.onError?.(c, err);
        return {
          ok: false,
          output: "Healthcheck failed to execute",
          durationMs: this.clock.now() - startedAt,
        };
      })
      .then((o) => this.record(c, o))
      .finally(() => this.inflight.delete(work));
    this.inflight.add(work);
    return work;
  }

  private record(c: MonitoredCheck, o: CheckOutcome): void {
    const s = this.states.get(c.id);
    if (!s) return;
    const at = this.clock.now();
    s.running = false;
    s.ok = o.ok;
    s.output = o.output;
    s.durationMs = o.durationMs;
    s.lastUpdated = at;
    s.failures = o.ok ? 0 : s.failures + 1;
    // An acknowledgement silences a check until it recovers.
    if (o.ok) s.ack = undefined;
    s.history.push({ at, ok: o.ok, durationMs: o.durationMs });
    if (s.history.length > HISTORY) s.history.shift();
  }

  /**
   * Starts what is due, reports every state, and schedules the next tick. Checks that answer at once
   * (heartbeats, cached judgements) are reported in the same tick, so a late heartbeat alerts within
   * its grace plus one tick.
   */
  tick(): void {
    if (this.abort.signal.aborted) return;
    const now = this.clock.now();
    const started: Promise<void>[] = [];
    for (const c of this.checks) {
      const s = this.states.get(c.id);
      if (!s || s.running) continue;
      const last = s.lastStarted;
      if (last === undefined || now - last >= c.intervalMs) started.push(this.runNow(c.id));
    }
    const report = () => {
      if (this.abort.signal.aborted) return;
      this.opts.onTick?.(this.views(), this.checks);
      this.timer = this.clock.setTimeout(() => this.tick(), this.tickMs);
    };
    if (started.length === 0) report();
    else setImmediate(report);
  }
}

/** The FT aggregate: ok when every check is; else the worst (lowest) severity among the failing ones. */
export function aggregate(
  checks: readonly MonitoredCheck[],
  states: ReadonlyMap<string, CheckState>,
): { ok: boolean; severity: Severity | undefined } {
  let ok = true;
  let severity: Severity = 3;
  for (const c of checks) {
    if (states.get(c.id)?.ok) continue;
    ok = false;
    if (c.severity < severity) severity = c.severity;
  }
  return { ok, severity: ok ? undefined : severity };
}

/**
 * A heartbeat (Checkly's, Gatus's external endpoints): healthy while a ping arrived within its period
 * plus grace; before the first ping, counted from when the monitor started.
 */
export class Heartbeat {
  private last: number;

  constructor(
    readonly periodMs: number,
    readonly graceMs: number,
    private readonly clock: Clock,
  ) {
    this.last = clock.now();
  }

  ping(): void {
    this.last = this.clock.now();
  }

  /** When the heartbeat goes late if no ping comes. */
  deadline(): number {
    return this.last + this.periodMs + this.graceMs;
  }

  outcome(what: string): CheckOutcome {
    const late = this.clock.now() - this.deadline();
    return late > 0
      ? {
          ok: false,
          output: `no ${what} for ${Math.round((this.clock.now() - this.last) / 1000)}s (period ${Math.round(this.periodMs / 1000)}s + grace ${Math.round(this.graceMs / 1000)}s)`,
          durationMs: 0,
        }
      : {
          ok: true,
          output: `last ${what} ${Math.round((this.clock.now() - this.last) / 1000)}s ago`,
          durationMs: 0,
        };
  }
}
