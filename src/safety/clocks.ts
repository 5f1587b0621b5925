import { existsSync, unlinkSync } from "node:fs";
import {
  clockDir,
  clockEnv,
  clockFile,
  INSTALL_FAKETIME,
  libfaketime,
  processesOn,
  validClockName,
  writeOffset,
} from "../platform/faketime.js";
import { ensurePrivateDir, stateDir } from "./state.js";

/**
 * A clock for `withstand exec`: its file in the private state directory (created at +0 unless a fault
 * is moving it now) and the environment that puts a process on it. Throws with what to do when the
 * name is bad or libfaketime is missing.
 */
export function openClock(name: string, inheritedPreload: string | undefined): Record<string, string> {
  const lib = libfaketime();
  if (!lib) throw new Error(`libfaketime is not installed, so no clock can be moved (${INSTALL_FAKETIME})`);
  if (!validClockName(name))
    throw new Error(`clock name ${JSON.stringify(name)}: expected letters, digits, _ . - (at most 64)`);
  ensurePrivateDir(stateDir());
  ensurePrivateDir(clockDir());
  const file = clockFile(name);
  // Joining a clock that a fault is moving now means running at its offset, as its other processes do.
  if (!existsSync(file)) writeOffset(file, "+0");
  return clockEnv(name, lib, inheritedPreload);
}

/** The last process on a clock takes its file with it. */
export function closeClock(name: string): void {
  if (processesOn(name).length > 0) return;
  try {
    unlinkSync(clockFile(name));
  } catch {
    // Another exec removed it meanwhile.
  }
}
