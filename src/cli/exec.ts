import { spawn } from "node:child_process";
import { existsSync, unlinkSync } from "node:fs";
import { basename } from "node:path";
import { EXIT } from "../core/exit-codes.js";
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
import { ensurePrivateDir, stateDir } from "../safety/state.js";
import { failUsage } from "./fail.js";

/**
 * `withstand exec [--as NAME] -- COMMAND ARGS...`: runs a command ready to have its wall clock moved
 * later by a clock-skew fault on clock NAME (libfaketime preloaded, reading the clock file). Signals
 * are passed on; the exit status is the command's.
 */
export async function execCommand(command: string[], flags: { as?: string }): Promise<number> {
  const [cmd, ...args] = command;
  if (cmd === undefined)
    failUsage("exec: expected a command after --, e.g. withstand exec --as orders -- node server.js");
  const lib = libfaketime();
  if (!lib) failUsage(`exec: libfaketime is not installed, so no clock can be moved (${INSTALL_FAKETIME})`);
  const name = flags.as ?? basename(cmd).replace(/[^A-Za-z0-9_.-]/g, "-");
  if (!validClockName(name))
    failUsage(`--as ${JSON.stringify(name)}: expected a clock name of letters, digits, _ . - (at most 64)`);
  ensurePrivateDir(stateDir());
  ensurePrivateDir(clockDir());
  const file = clockFile(name);
  // Joining a clock that a fault is moving now means running at its offset, as its other processes do.
  if (!existsSync(file)) writeOffset(file, "+0");
  const child = spawn(cmd, args, {
    stdio: "inherit",
    env: { ...process.env, ...clockEnv(name, lib, process.env.LD_PRELOAD) },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, forward(s));
  const status = await new Promise<number>((resolve) => {
    child.once("error", (err) => {
      process.stderr.write(`withstand: exec: cannot start ${cmd}: ${err.message}\n`);
      resolve(EXIT.invalid);
    });
    child.once("exit", (code, signal) =>
      resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 2)),
    );
  });
  // The last process on a clock takes its file with it.
  if (processesOn(name).length === 0)
    try {
      unlinkSync(file);
    } catch {
      // Another exec removed it meanwhile.
    }
  return status;
}
