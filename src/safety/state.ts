import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Machine-wide safety state: one file per active fault and one per active run, so that `withstand halt`
 * and the crash watchdog can revert faults without the runner that made them.
 */
export type RevertAction =
  | { type: "none" }
  | { type: "signal"; signal: NodeJS.Signals; targets: { pid: number; starttime: number }[] }
  /** An HTTP call that undoes the fault (a toxic created through a proxy API). */
  | { type: "http"; method: string; url: string; body?: unknown };

export interface ActiveFault {
  id: string;
  runId: string;
  runnerPid: number;
  kind: string;
  activity: string;
  targets: { pid: number; command: string }[];
  injectedAt: string;
  revert: RevertAction;
}

export interface ActiveRun {
  runId: string;
  pid: number;
  title: string;
  startedAt: string;
}

/** How long a fault's lease lasts without renewal before the watchdog reverts it. */
export const LEASE_MS = 5000;

export function stateDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return process.env.WITHSTAND_STATE_DIR ?? join(tmpdir(), `withstand-${uid}`);
}

function dirs(root: string): { faults: string; runs: string } {
  const faults = join(root, "faults");
  const runs = join(root, "runs");
  mkdirSync(faults, { recursive: true });
  mkdirSync(runs, { recursive: true });
  return { faults, runs };
}

function writeAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
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
