import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { EventBus } from "../core/events.js";
import type { AppliedFault, FaultHooks, FaultRegistry } from "../core/fault.js";
import { describeTarget, type FaultTarget } from "../core/fault.js";
import type { FaultRecord } from "../core/journal.js";
import { starttimeOf } from "../platform/processes.js";
import { executeRevert } from "./reverts/index.js";
import {
  type ActiveFault,
  type RevertAction,
  removeFault,
  removeRun,
  renewLeases,
  writeFault,
  writeRun,
} from "./state.js";

const WATCHDOG = fileURLToPath(new URL("./watchdog.js", import.meta.url));
const RENEW_MS = 1000;

export type { FaultHooks };

interface Held {
  fault: ActiveFault;
  record: FaultRecord;
  hooks: FaultHooks;
  timer?: NodeJS.Timeout;
  done?: Promise<void>;
  resolveDone?: () => void;
}

/**
 * The run's registry of active faults. Every fault is written to the machine-wide state before it is
 * applied, so halt, the watchdog, a deadline, Ctrl-C or the end of the run can always revert it.
 */
export class SafetyRegistry implements FaultRegistry {
  private readonly held = new Map<string, Held>();
  /** Reverts under way: a fault leaves `held` when its revert starts, and stays here until it ends. */
  private readonly reverting = new Set<Promise<void>>();
  private readonly records: FaultRecord[] = [];
  private watchdogStarted = false;
  private leaseTimer: NodeJS.Timeout | undefined;
  private opened = false;

  /** No I/O here: `open()` writes the run entry, and whoever opens must `close()` (a teardown). */
  constructor(
    private readonly root: string,
    private readonly runId: string,
    private readonly bus: EventBus,
    private readonly title: string,
  ) {}

  /**
   * Records the runner (pid and start time, so halt never signals a reused pid) and starts renewing
   * leases. The watchdog starts with the first stateful fault; a run entry left by a runner that died
   * before that is removed by halt and by every reader, which check the runner's identity.
   */
  open(): this {
    if (this.opened) return this;
    this.opened = true;
    writeRun(this.root, {
      runId: this.runId,
      pid: process.pid,
      starttime: starttimeOf(process.pid) ?? -1,
      title: this.title,
      startedAt: new Date().toISOString(),
    });
    this.leaseTimer = setInterval(() => {
      renewLeases(this.root, this.runId);
      for (const h of this.held.values()) h.hooks.renew?.().catch(() => undefined);
    }, RENEW_MS);
    this.leaseTimer.unref();
    return this;
  }

  /** Registers, then applies. A fault whose apply throws is reverted and unregistered. */
  async inject(
    spec: {
      kind: string;
      activity: string;
      targets: FaultTarget[];
      revert: RevertAction;
    },
    apply: (applying: AppliedFault) => void | Promise<void>,
    hooks: FaultHooks = {},
  ): Promise<FaultRecord> {
    this.open();
    const fault: ActiveFault = {
      id: randomUUID().slice(0, 8),
      runId: this.runId,
      runnerPid: process.pid,
      injectedAt: new Date().toISOString(),
      ...spec,
    };
    const stateful = spec.revert.type !== "none" || hooks.localRevert !== undefined;
    writeFault(this.root, fault);
    if (stateful) this.ensureWatchdog();
    const record: FaultRecord = {
      id: fault.id,
      activity: spec.activity,
      kind: spec.kind,
      targets: spec.targets,
      injected_at: fault.injectedAt,
      reverted_at: null,
      revert: "",
    };
    const applying: AppliedFault = {
      revise: (revert) => {
        fault.revert = revert;
        writeFault(this.root, fault);
      },
    };
    try {
      await apply(applying);
    } catch (err) {
      // The revert as last revised: it names only what apply made before it failed.
      await executeRevert(fault.revert);
      await hooks.localRevert?.();
      removeFault(this.root, fault);
      throw err;
    }
    this.records.push(record);
    this.bus.emit({
      type: "fault-injected",
      runId: this.runId,
      ts: fault.injectedAt,
      faultId: fault.id,
      kind: spec.kind,
      activity: spec.activity,
      targets: spec.targets.map(describeTarget),
    });
    const entry: Held = { fault, record, hooks };
    if (stateful) this.held.set(fault.id, entry);
    else {
      // Nothing to undo (a killed process): the fault is over once applied, so it leaves the state too.
      removeFault(this.root, fault);
      this.finish(entry, "not revertible (process was killed)");
    }
    return record;
  }

  /** Reverts a fault after `ms`; `settled()` waits for such timed reverts. */
  revertAfter(id: string, ms: number): void {
    const entry = this.held.get(id);
    if (!entry) return;
    entry.done = new Promise((resolve) => {
      entry.resolveDone = resolve;
    });
    // revert() records its own failures; the catch only keeps a timer from ever rejecting unhandled.
    entry.timer = setTimeout(() => {
      this.revert(id, `duration ${ms}ms elapsed`).catch(() => undefined);
    }, ms);
  }

  async settled(): Promise<void> {
    await Promise.all([...this.held.values()].flatMap((h) => (h.done ? [h.done] : [])));
  }

  async revert(id: string, reason: string): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    // In flight until it ends: revertAll (a run's end) waits for it too, so a run that was stopped
    // (its revert started by the stop) never finishes before its faults are undone.
    const undoing = this.undo(entry, reason);
    this.reverting.add(undoing);
    try {
      await undoing;
    } finally {
      this.reverting.delete(undoing);
    }
  }

  private async undo(entry: Held, reason: string): Promise<void> {
    if (entry.timer) clearTimeout(entry.timer);
    let how: string;
    // Asked before the revert, which stops what the answer is about (a stressor).
    const failed = entry.hooks.failure?.();
    if (failed !== undefined) entry.record.failed = failed;
    try {
      const local = await entry.hooks.localRevert?.();
      how =
        typeof local === "string"
          ? local
          : entry.fault.revert.type === "none" && entry.hooks.localRevert
            ? "reverted in-process"
            : await executeRevert(entry.fault.revert);
    } catch (err) {
      // Reported on the fault's record; a revert never throws into the run (or out of a timer).
      how = `revert failed: ${(err as Error).message}`;
    }
    removeFault(this.root, entry.fault);
    this.finish(entry, `${how} (${reason})`);
    entry.resolveDone?.();
  }

  /** Reverts faults that have no duration of their own (at the end of the method). */
  async revertUntimed(reason: string): Promise<void> {
    await Promise.all([...this.held].filter(([, e]) => !e.timer).map(([id]) => this.revert(id, reason)));
  }

  async revertAll(reason: string): Promise<void> {
    await Promise.all([...[...this.held.keys()].map((id) => this.revert(id, reason)), ...this.reverting]);
  }

  get active(): number {
    return this.held.size;
  }

  faultRecords(): FaultRecord[] {
    return this.records;
  }

  /** Faults that stopped doing what they said before their revert, as one sentence each. */
  failures(): string[] {
    return this.records.flatMap((r) =>
      r.failed !== undefined ? [`${r.kind} (${r.activity}): ${r.failed}`] : [],
    );
  }

  async close(): Promise<void> {
    await this.revertAll("run ended");
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.opened) removeRun(this.root, this.runId);
  }

  private finish(entry: Held, how: string): void {
    entry.record.reverted_at = new Date().toISOString();
    entry.record.revert = how;
    this.bus.emit({
      type: "fault-reverted",
      runId: this.runId,
      ts: entry.record.reverted_at,
      faultId: entry.fault.id,
      kind: entry.fault.kind,
      activity: entry.fault.activity,
      how,
    });
  }

  private ensureWatchdog(): void {
    if (this.watchdogStarted) return;
    this.watchdogStarted = true;
    const me = String(starttimeOf(process.pid) ?? -1);
    const child = spawn(process.execPath, [WATCHDOG, this.root, this.runId, String(process.pid), me], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
  }
}
