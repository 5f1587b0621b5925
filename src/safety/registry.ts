import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { EventBus } from "../core/events.js";
import type { FaultRecord } from "../core/journal.js";
import { executeRevert } from "./revert.js";
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

export interface FaultHooks {
  /** Undoes the fault inside this process (an in-process proxy); runs with the recorded revert. */
  localRevert?: (() => Promise<void> | void) | undefined;
  /** Renews whatever lease the fault holds elsewhere (a proxy API toxic), every second. */
  renew?: (() => Promise<void>) | undefined;
}

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
export class SafetyRegistry {
  private readonly held = new Map<string, Held>();
  private readonly records: FaultRecord[] = [];
  private watchdogStarted = false;
  private leaseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly root: string,
    private readonly runId: string,
    private readonly bus: EventBus,
    title: string,
  ) {
    writeRun(root, { runId, pid: process.pid, title, startedAt: new Date().toISOString() });
    this.leaseTimer = setInterval(() => {
      renewLeases(root, runId);
      for (const h of this.held.values()) void h.hooks.renew?.().catch(() => undefined);
    }, RENEW_MS);
    this.leaseTimer.unref();
  }

  /** Registers, then applies. A fault whose apply throws is reverted and unregistered. */
  async inject(
    spec: {
      kind: string;
      activity: string;
      targets: { pid: number; command: string }[];
      revert: RevertAction;
    },
    apply: () => void | Promise<void>,
    hooks: FaultHooks = {},
  ): Promise<FaultRecord> {
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
    try {
      await apply();
    } catch (err) {
      await executeRevert(spec.revert);
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
      targets: spec.targets.map((t) => (t.pid ? `${t.pid} ${t.command.slice(0, 120)}` : t.command)),
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
    entry.timer = setTimeout(() => void this.revert(id, `duration ${ms}ms elapsed`), ms);
  }

  async settled(): Promise<void> {
    await Promise.all([...this.held.values()].flatMap((h) => (h.done ? [h.done] : [])));
  }

  async revert(id: string, reason: string): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    await entry.hooks.localRevert?.();
    const how =
      entry.fault.revert.type === "none" && entry.hooks.localRevert
        ? "reverted in-process"
        : await executeRevert(entry.fault.revert);
    removeFault(this.root, entry.fault);
    this.finish(entry, `${how} (${reason})`);
    entry.resolveDone?.();
  }

  /** Reverts faults that have no duration of their own (at the end of the method). */
  async revertUntimed(reason: string): Promise<void> {
    await Promise.all([...this.held].filter(([, e]) => !e.timer).map(([id]) => this.revert(id, reason)));
  }

  async revertAll(reason: string): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.revert(id, reason)));
  }

  get active(): number {
    return this.held.size;
  }

  faultRecords(): FaultRecord[] {
    return this.records;
  }

  async close(): Promise<void> {
    await this.revertAll("run ended");
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    removeRun(this.root, this.runId);
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
    const child = spawn(process.execPath, [WATCHDOG, this.root, this.runId, String(process.pid)], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
  }
}
