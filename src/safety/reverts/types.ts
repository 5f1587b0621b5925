/**
 * How a fault is undone without the runner that made it: a plain record on disk that the run itself,
 * `withstand halt` and the crash watchdog all execute through the same registry (safety/reverts/).
 * Each executor checks the record's shape itself, because the record is read back from disk.
 */
import type { RevertAction } from "../../core/fault.js";

export type { RevertAction };

export interface RevertExecutor {
  readonly type: string;
  /** Whether a record read from disk has this executor's shape; a malformed one is left alone. */
  accepts(action: RevertAction): boolean;
  /** Undoes the fault; idempotent; says what it did. Never throws. */
  run(action: RevertAction): Promise<string>;
}

/** A process as withstand recorded it: the pid and its start time, so a reused pid is never touched. */
export interface ProcessIdentity {
  pid: number;
  starttime: number;
}

export function isProcessList(v: unknown): v is ProcessIdentity[] {
  return (
    Array.isArray(v) &&
    v.every(
      (t) =>
        typeof t === "object" &&
        t !== null &&
        Number.isInteger((t as ProcessIdentity).pid) &&
        (t as ProcessIdentity).pid > 1 &&
        Number.isInteger((t as ProcessIdentity).starttime),
    )
  );
}
