import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
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

/** Absolute, so a process on the clock finds its file whatever its working directory. */
export const clockDir = () => resolve(stateDir(), "clocks");

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

/**
 * Writes an offset libfaketime reads ("+2h", "-30d", "+0"), never through a symlink (O_NOFOLLOW) and
 * only into a regular file of ours (checked on the descriptor written to).
 */
export function writeOffset(file: string, offset: string): void {
  const fd = openSync(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o600,
  );
  try {
    const st = fstatSync(fd);
    const me = typeof process.getuid === "function" ? process.getuid() : st.uid;
    if (!st.isFile() || st.uid !== me || (st.mode & 0o022) !== 0)
      throw new Error(
        `${file} is not a clock file of this user's (a regular file only you can write): left alone`,
      );
    // Written over the old text, then cut to its length: a reader (libfaketime, halt's check) never
    // sees the empty file a truncate-then-write leaves between the two calls.
    const text = `${offset}\n`;
    writeSync(fd, text, 0);
    ftruncateSync(fd, Buffer.byteLength(text));
  } finally {
    closeSync(fd);
  }
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

/**
 * Processes started on clock `name`, and whether libfaketime is really loaded in each. A clock is this
 * user's and this state directory's: a process of another user, or one on a clock of the same name in
 * another state directory, is on another clock.
 */
export function processesOn(name: string): { pid: number; affected: boolean }[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d) && clockOf(Number(d)) === name)
    .map((d) => ({ pid: Number(d), affected: affected(Number(d)) }));
}

/** The clock of ours a process was started on (by WITHSTAND_CLOCK and its clock file), if any. */
export function clockOf(pid: number): string | undefined {
  try {
    const me = typeof process.getuid === "function" ? process.getuid() : undefined;
    if (me !== undefined && statSync(`/proc/${pid}`).uid !== me) return undefined;
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const value = (key: string) => env.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1);
    const name = value("WITHSTAND_CLOCK");
    return name !== undefined && value("FAKETIME_TIMESTAMP_FILE") === clockFile(name) ? name : undefined;
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
