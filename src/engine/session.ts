import { randomBytes } from "node:crypto";
import { EventBus, type RunEvent } from "../core/events.js";
import type { ExitCode } from "../core/exit-codes.js";
import type { Outcome } from "../core/run-outcome.js";
import type { StoredWindow } from "../core/window.js";
import { openStore } from "../store/open.js";
import { RunRecorder } from "../store/recorder.js";
import type { RunEnd, RunStart, Store } from "../store/store.js";
import { writeLocalJournal } from "./local-journal.js";

/** How long a run stopped by a signal still waits for its store to take the record. */
const FINISH_GRACE_MS = 3000;

function graceOver(ms: number): Promise<"stopped"> {
  return new Promise((resolve) => setTimeout(() => resolve("stopped"), ms).unref());
}

/** Why a run was stopped from outside; the reason of the session's AbortSignal. */
export type StopReason = "interrupted" | "halted" | "deadline";

export function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${randomBytes(3).toString("hex")}`;
}

/** What a run is, recorded when it begins. */
export interface SessionHeader {
  kind: string;
  title: string;
  source: string;
  /** The load group a generator joins (`withstand load --group`). */
  group?: string | undefined;
}

export interface OpenRunOptions {
  /** A store path or URL, an open Store, or `false` for no record at all (a dry run). */
  store?: string | Store | false | undefined;
  /** Stop on SIGINT/SIGTERM (interrupted; a second one also aborts `hardSignal`) and SIGUSR1 (`withstand halt`). */
  signals?: boolean;
  deadlineMs?: number | undefined;
  /** The run's id and bus when the caller has them already (the library's runExperiment). */
  runId?: string | undefined;
  bus?: EventBus | undefined;
}

/** Whether the store took the whole record; if not, what failed and where the local journal is. */
export interface Written {
  complete: boolean;
  failures: string[];
  journal?: string | undefined;
}

/**
 * One run's lifecycle, the same for every run kind (experiment, load, rollout; checks next): it owns
 * the run id, the event bus, the store record, the process's signals, the deadline, and a list of
 * teardowns that run in reverse order on close, whatever happened (Playwright's TaskRunner). Every
 * kind emits `run-started` through `start` and `run-finished` through `finish`; windows are recorded
 * with `window`, so the store, the renderers and a server all see the same things.
 */
export class RunSession {
  readonly bus: EventBus;
  readonly runId: string;
  private readonly stop = new AbortController();
  private readonly hard = new AbortController();
  private readonly teardowns: (() => Promise<void> | void)[] = [];
  private recorder: RunRecorder | undefined;
  private closed = false;
  /** Everything put on the bus while a store records the run: the local journal if the store fails. */
  private readonly log: RunEvent[] = [];
  private header: RunStart | undefined;
  /** Resolvers waiting for the next stop (a signal while the store is retrying ends the wait). */
  private stopWaiters: (() => void)[] = [];
  /** The store was given up on (dead, then a signal): its close is not awaited. */
  private abandoned = false;

  private constructor(private readonly opts: OpenRunOptions) {
    this.bus = opts.bus ?? new EventBus();
    this.runId = opts.runId ?? newRunId();
  }

  /** A session with its id and bus but nothing opened yet: `begin` records it and takes the signals. */
  static create(opts: OpenRunOptions = {}): RunSession {
    return new RunSession(opts);
  }

  /** Creates and begins a session. The caller must `close()` it. */
  static async open(run: SessionHeader, opts: OpenRunOptions = {}): Promise<RunSession> {
    const session = new RunSession(opts);
    await session.begin(run);
    return session;
  }

  /** Opens the store (if any), records the run as running, and takes the signals and the deadline. */
  async begin(run: SessionHeader): Promise<void> {
    const opts = this.opts;
    const owned = typeof opts.store === "string" || opts.store === undefined;
    const store =
      opts.store === false
        ? undefined
        : owned
          ? openStore(opts.store as string | undefined)
          : (opts.store as Store);
    if (store) {
      if (owned) this.defer(() => this.closeStore(store));
      this.recorder = new RunRecorder(store, this.runId);
      this.bus.on(this.recorder.event);
      this.bus.on((e) => this.log.push(e));
      this.header = { id: this.runId, ...run, startedAt: new Date().toISOString() };
      try {
        await this.recorder.begin(this.header);
      } catch (err) {
        await this.close();
        throw err;
      }
    }
    if (opts.signals) {
      const onInt = () => this.abort("interrupted");
      const onHalt = () => this.abort("halted");
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onInt);
      process.on("SIGUSR1", onHalt);
      this.defer(() => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onInt);
        process.off("SIGUSR1", onHalt);
      });
    }
    if (opts.deadlineMs !== undefined) {
      const timer = setTimeout(() => this.abort("deadline"), opts.deadlineMs);
      this.defer(() => clearTimeout(timer));
    }
  }

  /** Aborted on the first stop (its reason is a StopReason). */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** Aborted on a second stop: even rollbacks and drains are cut short. */
  get hardSignal(): AbortSignal {
    return this.hard.signal;
  }

  abort(why: StopReason): void {
    if (this.stop.signal.aborted) this.hard.abort(why);
    else this.stop.abort(why);
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves on the next stop (Ctrl-C, SIGTERM, halt, deadline) from now on. */
  private nextStop(): Promise<"stopped"> {
    return new Promise((resolve) => this.stopWaiters.push(() => resolve("stopped")));
  }

  /** A dead store's close may wait for its retries: once given up on, it is not awaited. */
  private async closeStore(store: Store): Promise<void> {
    if (!this.abandoned) return store.close();
    store.close().catch(() => undefined);
  }

  /** A teardown; they run in reverse order of registration on close. */
  defer(teardown: () => Promise<void> | void): void {
    this.teardowns.unshift(teardown);
  }

  emit(event: RunEvent): void {
    this.bus.emit(event);
  }

  /** Puts a window on the bus (encoded once by the caller, who may write it elsewhere too). */
  window(series: string, window: StoredWindow): void {
    this.bus.emit({
      type: "window",
      runId: this.runId,
      ts: new Date(window.end).toISOString(),
      series,
      window,
    });
  }

  /**
   * Records the end: waits for every event and window to be written, then the result. A store that
   * fails, or a stop (Ctrl-C, SIGTERM) while it is still retrying, leaves the record incomplete: what
   * the run saw is written to a local journal instead, and the wait ends at once.
   */
  async finish(end: RunEnd): Promise<Written> {
    if (!this.recorder) return { complete: true, failures: [] };
    const written = this.recorder.finish(end).then(
      () => "written" as const,
      (err: unknown) => {
        this.recorder?.failures.push(err as Error);
        return "failed" as const;
      },
    );
    // A run already stopped (Ctrl-C) gives a store that is still retrying a short grace, not its whole window.
    const giveUp = this.stop.signal.aborted ? graceOver(FINISH_GRACE_MS) : this.nextStop();
    const how = await Promise.race([written, giveUp]);
    const failures = this.storeFailures().map((e) => e.message);
    if (how === "written" && failures.length === 0) return { complete: true, failures };
    if (how === "stopped") {
      this.abandoned = true;
      failures.push("stopped while the store was still retrying");
    }
    const journal = this.header
      ? writeLocalJournal({ run: this.header, end, events: this.log, storeFailures: failures })
      : undefined;
    return { complete: false, failures, journal };
  }

  /** Announces the end on the bus (run-finished, with its reason) and records it: what every run kind does last. */
  async conclude(
    end: Omit<RunEnd, "endedAt" | "deviated" | "outcome" | "exitCode"> & {
      outcome: Outcome;
      exitCode: ExitCode;
      reason: string;
      deviated?: boolean;
    },
  ): Promise<Written> {
    const endedAt = new Date().toISOString();
    const deviated = end.deviated ?? false;
    this.bus.emit({
      type: "run-finished",
      runId: this.runId,
      ts: endedAt,
      status: end.status,
      deviated,
      outcome: end.outcome,
      reason: end.reason,
      exitCode: end.exitCode,
      durationMs: end.durationMs,
    });
    const { reason: _reason, ...stored } = end;
    return this.finish({ ...stored, deviated, endedAt });
  }

  /** Writes the store could not take (after its retries): the run's record is incomplete. */
  storeFailures(): Error[] {
    return [...(this.recorder?.failures ?? [])];
  }

  /** Listener and store failures, for the CLI to report: a broken listener never breaks a run. */
  failures(): Error[] {
    return [...this.bus.failures, ...this.storeFailures()];
  }

  /** Runs every teardown, in reverse order, each even if an earlier one failed. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let first: unknown;
    for (const t of this.teardowns) {
      try {
        await t();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
