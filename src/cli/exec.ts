import { spawn } from "node:child_process";
import { basename } from "node:path";
import { EXIT } from "../core/exit-codes.js";
import { closeClock, openClock } from "../safety/clocks.js";
import { failUsage } from "./fail.js";

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
};

/**
 * `withstand exec [--as NAME] -- COMMAND ARGS...`: runs a command ready to have its wall clock moved
 * later by a clock-skew fault on clock NAME (libfaketime preloaded, reading the clock file). Signals
 * are passed on; the exit status is the command's.
 */
export async function execCommand(command: string[], flags: { as?: string }): Promise<number> {
  const [cmd, ...args] = command;
  if (cmd === undefined)
    failUsage("exec: expected a command after --, e.g. withstand exec --as orders -- node server.js");
  const name = flags.as ?? basename(cmd).replace(/[^A-Za-z0-9_.-]/g, "-");
  let env: Record<string, string>;
  try {
    env = openClock(name, process.env.LD_PRELOAD);
  } catch (err) {
    failUsage(`exec${flags.as ? ` --as ${flags.as}` : ""}: ${(err as Error).message}`);
  }
  const child = spawn(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => child.kill(s));
  const status = await new Promise<number>((resolve) => {
    child.once("error", (err) => {
      process.stderr.write(`withstand: exec: cannot start ${cmd}: ${err.message}\n`);
      resolve(EXIT.invalid);
    });
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1)));
  });
  closeClock(name);
  return status;
}
