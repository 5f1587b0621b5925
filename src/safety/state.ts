import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { WithstandError } from "../core/errors.js";
import type { FaultTarget } from "../core/fault.js";
import { sameProcess } from "../platform/processes.js";
import { stateDir, untrustedAncestors, untrustedDir } from "../platform/state-dir.js";
import type { RevertAction } from "./reverts/types.js";

export type { RevertAction };

/**
 * Machine-wide safety state: one file per active fault and one per active run, so that `withstand halt`
 * and the crash watchdog can revert faults without the runner that made them. The files say which
 * process to resume and which runner to signal, so only the current user may write them (0700, owned,
 * no symlink): anything else is refused rather than trusted.
 */
export interface ActiveFault {
  id: string;
  runId: string;
  runnerPid: number;
  kind: string;
  activity: string;
  targets: FaultTarget[];
  injectedAt: string;
  revert: RevertAction;
}

export interface ActiveRun {
  runId: string;
  pid: number;
  /** The runner's start time (clock ticks since boot): halt signals the pid only while it matches. */
  starttime: number;
  title: string;
  startedAt: string;
}

/** The state directory (or a file in it) is not safe to trust: exit 2 naming the path. */
export class UnsafeStateError extends WithstandError {
  constructor(path: string, why: string) {
    super(
      "WS_UNSAFE_STATE_DIR",
      `${path}: ${why}; refusing to use it (expected a directory owned by you with mode 0700; remove it or set WITHSTAND_STATE_DIR)`,
    );
    this.name = "UnsafeStateError";
  }
}

/** How long a fault's lease lasts without renewal before the watchdog reverts it. */
export const LEASE_MS = 5000;

export { stateDir };

const uid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined);

/** Creates `dir` 0700 if missing; refuses one that is a symlink, someone else's, or writable by others. */
export function ensurePrivateDir(dir: string): void {
  // The ancestors first: a directory created under one that someone else controls is theirs to swap.
  const above = untrustedAncestors(dir);
  if (above) throw new UnsafeStateError(dir, above);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const why = untrustedDir(dir);
  if (why) throw new UnsafeStateError(dir, why);
}

/**
 * Reads a state file only if it is a regular file of ours that no one else can write. Node has no
 * openat(2), so instead of resolving names relative to an open directory the file is opened with
 * O_NOFOLLOW (a symlink in its place fails) and checked with fstat on the descriptor it is read from,
 * while `dirs()` checks before each use that the directories are still the very ones (device and
 * inode) that were checked when first used.
 */
function readTrusted(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const me = uid();
    if (!st.isFile() || (me !== undefined && st.uid !== me) || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd, "utf8");
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The device and inode of each checked state directory, by path. */
const checked = new Map<string, string>();
const identity = (dir: string): string | undefined => {
  const st = lstatSync(dir, { bigint: true, throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : undefined;
};

/** Checks the state directories once, then before every use that none was swapped since. */
function dirs(root: string): { faults: string; runs: string } {
  const faults = join(root, "faults");
  const runs = join(root, "runs");
  for (const d of [root, faults, runs]) {
    const known = checked.get(d);
    const now = identity(d);
    if (known !== undefined && now !== undefined && now !== known) {
      checked.delete(d);
      throw new UnsafeStateError(d, "was replaced by another directory while withstand used it");
    }
    if (known === undefined || now === undefined) {
      // First use, or removed since (it is created again, and checked again).
      ensurePrivateDir(d);
      checked.set(d, identity(d) ?? "");
    }
  }
  return { faults, runs };
}

function writeAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  const text = readTrusted(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export const faultFile = (root: string, f: Pick<ActiveFault, "runId" | "id">): string =>
  join(dirs(root).faults, `${f.runId}--${f.id}.json`);

export function writeFault(root: string, fault: ActiveFault): void {
  writeAtomic(faultFile(root, fault), fault);
}

export function removeFault(root: string, fault: Pick<ActiveFault, "runId" | "id">): void {
  rmSync(faultFile(root, fault), { force: true });
}

export function listFaults(
  root: string,
  runId?: string,
): { fault: ActiveFault; file: string; leaseAgeMs: number }[] {
  const { faults } = dirs(root);
  const out: { fault: ActiveFault; file: string; leaseAgeMs: number }[] = [];
  for (const name of readdirSync(faults)) {
    if (!name.endsWith(".json") || (runId !== undefined && !name.startsWith(`${runId}--`))) continue;
    const file = join(faults, name);
    const fault = readJson<ActiveFault>(file);
    if (!fault) continue;
    let leaseAgeMs = 0;
    try {
      leaseAgeMs = Date.now() - statSync(file).mtimeMs;
    } catch {
      continue;
    }
    out.push({ fault, file, leaseAgeMs });
  }
  return out;
}

/** Renewing a lease is touching its file. */
export function renewLeases(root: string, runId: string): void {
  const now = new Date();
  for (const { file } of listFaults(root, runId)) {
    try {
      utimesSync(file, now, now);
    } catch {
      // The fault was reverted meanwhile (by halt or the watchdog).
    }
  }
}

export function writeRun(root: string, run: ActiveRun): void {
  writeAtomic(join(dirs(root).runs, `${run.runId}.json`), run);
}

export function removeRun(root: string, runId: string): void {
  rmSync(join(dirs(root).runs, `${runId}.json`), { force: true });
}

export function listRuns(root: string): ActiveRun[] {
  const { runs } = dirs(root);
  return readdirSync(runs)
    .filter((n) => n.endsWith(".json"))
    .flatMap((n) => readJson<ActiveRun>(join(runs, n)) ?? []);
}

/** Whether the runner that wrote `run` is still that process (not a zombie, not a reused pid). */
export function runnerAlive(run: Pick<ActiveRun, "pid" | "starttime">): boolean {
  return Number.isInteger(run.starttime) && sameProcess({ pid: run.pid, starttime: run.starttime });
}

/** Active runs whose runner is still alive; the entries of runners that are gone are removed on the way. */
export function liveRuns(root: string): ActiveRun[] {
  return listRuns(root).filter((run) => {
    if (runnerAlive(run)) return true;
    removeRun(root, run.runId);
    return false;
  });
}
