import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./state-dir.js";

/**
 * Clocks for clock skew. A process started through withstand (`withstand exec --as NAME`) runs with
 * libfaketime preloaded and reading its offset from the clock file NAME; the clock-skew fault writes an
 * offset there and its revert writes +0. Only the wall clock moves (FAKETIME_DONT_FAKE_MONOTONIC), so
 * timers and timeouts keep running. libfaketime cannot reach a process started otherwise, a static
 * binary, or a runtime that bypasses libc for the time (Go): `affected()` tells which processes it reaches.
 */
const CANDIDATES = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
  "/usr/local/lib/faketime/libfaketime.so.1",
];

export const INSTALL_FAKETIME =
  "apt-get install libfaketime (Debian, Ubuntu) or your system's libfaketime package";

export function libfaketime(): string | undefined {
  const own = process.env.WITHSTAND_LIBFAKETIME;
  if (own) return existsSync(own) ? own : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export const clockDir = () => join(stateDir(), "clocks");

export function validClockName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) && !name.startsWith(".");
}

export const clockFile = (name: string) => join(clockDir(), `${name}.rc`);

/** The environment that puts a process on clock `name` (its libfaketime file). */
export function clockEnv(name: string, lib: string, inherited: string | undefined): Record<string, string> {
  return {
    LD_PRELOAD: inherited ? `${lib}:${inherited}` : lib,
    FAKETIME_TIMESTAMP_FILE: clockFile(name),
    FAKETIME_NO_CACHE: "1",
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
    WITHSTAND_CLOCK: name,
  };
}

/** Writes an offset libfaketime reads ("+2h", "-30d", "+0"). */
export function writeOffset(file: string, offset: string): void {
  writeFileSync(file, `${offset}\n`, { mode: 0o600 });
}

/** The clocks that exist (a `withstand exec --as NAME` created each). */
export function clocks(): string[] {
  try {
    return readdirSync(clockDir())
      .filter((f) => f.endsWith(".rc"))
      .map((f) => f.slice(0, -3));
  } catch {
    return [];
  }
}

/** Processes started on clock `name`, and whether libfaketime is really loaded in each. */
export function processesOn(name: string): { pid: number; affected: boolean }[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d) && clockOf(Number(d)) === name)
    .map((d) => ({ pid: Number(d), affected: affected(Number(d)) }));
}

/** The clock a process was started on (WITHSTAND_CLOCK in its environment), if any. */
export function clockOf(pid: number): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .find((e) => e.startsWith("WITHSTAND_CLOCK="));
    return entry?.slice("WITHSTAND_CLOCK=".length);
  } catch {
    // Gone, or not ours to read.
    return undefined;
  }
}

/** Whether libfaketime is mapped into a process (a static or Go binary never loads it). */
export function affected(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/maps`, "utf8").includes("libfaketime");
  } catch {
    return false;
  }
}
