/**
 * What a fault acts on. Targets are not process-shaped: a network fault hits a proxy, a disk fill a
 * file system, a DNS fault a name. `id` identifies it (a pid, a proxy name, a path); `label` is shown.
 */
export type TargetKind = "process" | "proxy" | "file" | "host" | "dns" | "flag";

export interface FaultTarget {
  kind: TargetKind;
  id: string;
  label: string;
}

/** One line for the CLI, the events, the reports and the dashboard: `process 4242 node orders.js`. */
export function describeTarget(t: FaultTarget): string {
  const label = t.label.length > 120 ? `${t.label.slice(0, 117)}...` : t.label;
  return t.id === label || label === "" ? `${t.kind} ${t.id}` : `${t.kind} ${t.id} ${label}`;
}

/** A fault as the journal records it: what it hit, and when and how it was reverted. */
export interface FaultRecord {
  id: string;
  activity: string;
  kind: string;
  targets: FaultTarget[];
  injected_at: string;
  reverted_at: string | null;
  revert: string;
  /** Set when the fault stopped doing what it said before its revert (a stressor the OOM killer took). */
  failed?: string;
}

/**
 * How a fault is undone without the runner that made it: a plain record on disk that the run itself,
 * `withstand halt` and the crash watchdog execute through the same registry (safety/reverts/).
 */
export interface RevertAction {
  type: string;
  [field: string]: unknown;
}

/** What a fault kind needs from the safety registry: register-then-apply, and a timed revert. */
export interface FaultRegistry {
  inject(
    fault: { kind: string; activity: string; targets: FaultTarget[]; revert: RevertAction },
    apply: (applying: AppliedFault) => void | Promise<void>,
    hooks?: FaultHooks,
  ): Promise<FaultRecord>;
  revertAfter(id: string, ms: number): void;
}

/** What `apply` may do to its own registration while it applies. */
export interface AppliedFault {
  /**
   * Replaces the recorded revert (written to disk before it returns): a fault that learns what it
   * made only while applying (the inode of a file it created) records it before doing more.
   */
  revise(revert: RevertAction): void;
}

export interface FaultHooks {
  /**
   * Undoes the fault inside this process (an in-process proxy, a file through its descriptor). When it
   * returns a sentence, that is how the fault was reverted and the recorded revert is not run.
   */
  localRevert?: (() => unknown) | undefined;
  /**
   * Why the fault stopped doing what it said before it was reverted (its stressor was killed), if it
   * did; asked just before the revert. The run's verdict then says the fault did not hold.
   */
  failure?: (() => string | undefined) | undefined;
  /** Renews whatever lease the fault holds elsewhere (a proxy API toxic), every second. */
  renew?: (() => Promise<void>) | undefined;
}

export function processTarget(pid: number, command: string): FaultTarget {
  return { kind: "process", id: String(pid), label: command };
}

/** The prefix of every file withstand creates to fill a disk; a revert deletes nothing else. */
export const FILL_PREFIX = ".withstand-fill-";
