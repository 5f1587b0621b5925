import { spawn } from "node:child_process";
import { ActivityFailure } from "../core/errors.js";
import type { ProcessProviderSpec } from "../core/experiment.js";
import { closeClock, openClock } from "../safety/clocks.js";

export interface ProcessOutput {
  status: number;
  stdout: string;
  stderr: string;
}

const MAX_CAPTURE = 1 << 20;
/** How long a stopped program has between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * The CTK process provider: string arguments run through a shell, a list does not.
 * A non-zero exit is an output, not a failure; a timeout or a missing program fails the activity.
 */
export function runProcessProvider(spec: ProcessProviderSpec, signal: AbortSignal): Promise<ProcessOutput> {
  // On a clock (withstand's extension), the program runs with libfaketime reading that clock.
  let env: NodeJS.ProcessEnv | undefined;
  try {
    env = spec.clock ? { ...process.env, ...openClock(spec.clock, process.env.LD_PRELOAD) } : undefined;
  } catch (err) {
    return Promise.reject(
      new ActivityFailure(`process ${spec.path}: clock ${spec.clock}: ${(err as Error).message}`),
    );
  }
  const done = <T>(p: Promise<T>) => (spec.clock ? p.finally(() => closeClock(spec.clock as string)) : p);
  return done(
    new Promise<ProcessOutput>((resolve, reject) => {
      const shell = typeof spec.arguments === "string";
      // Its own process group: a stop ends the program and whatever it started (a shell's `sleep 20`
      // holds the output pipes after the shell itself is gone).
      const options = {
        stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
        detached: true,
        ...(env ? { env } : {}),
      };
      const child = shell
        ? spawn(`${spec.path} ${spec.arguments as string}`, { shell: true, ...options })
        : spawn(spec.path, [...((spec.arguments as readonly string[] | undefined) ?? [])], options);
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        if (stdout.length < MAX_CAPTURE) stdout += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        if (stderr.length < MAX_CAPTURE) stderr += d;
      });
      const group = (sig: NodeJS.Signals | 0): boolean => {
        if (child.pid === undefined) return false;
        try {
          process.kill(-child.pid, sig);
          return true;
        } catch {
          return false;
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      // SIGTERM to the program's group, then SIGKILL to what is left of it after a short grace.
      const end = (sig: NodeJS.Signals) => {
        if (sig === "SIGKILL") group("SIGKILL");
        else if (group("SIGTERM") && !killTimer)
          killTimer = setTimeout(() => group("SIGKILL"), KILL_GRACE_MS);
      };
      let timedOut = false;
      const timer =
        spec.timeout !== undefined
          ? setTimeout(() => {
              timedOut = true;
              end("SIGKILL");
            }, spec.timeout * 1000)
          : undefined;
      const onAbort = () => end("SIGTERM");
      // A stop that came before the program started (while its module loaded) still ends it.
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      let settled = false;
      // Stopped (or timed out), the program's end is the activity's end: what it started may still hold
      // the output pipes until the grace runs out, so the activity does not wait for them to close.
      child.on("exit", () => {
        if (!signal.aborted && !timedOut) return;
        child.stdout.destroy();
        child.stderr.destroy();
        finish(null, null);
      });
      child.on("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const why = err.code === "ENOENT" ? `program ${JSON.stringify(spec.path)} not found` : err.message;
        reject(new ActivityFailure(why, undefined, { cause: err }));
      });
      const finish = (code: number | null, sig: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        // Nothing of the program outlives the activity: the grace timer stays only while its group lives.
        if (killTimer && !group(0)) clearTimeout(killTimer);
        if (timedOut)
          reject(
            new ActivityFailure(`${spec.path} timed out after ${spec.timeout}s`, {
              status: -1,
              stdout,
              stderr,
            }),
          );
        else if (signal.aborted)
          reject(new ActivityFailure(`${spec.path} stopped: run aborted`, { status: -1, stdout, stderr }));
        else resolve({ status: code ?? (sig ? 128 : -1), stdout, stderr });
      };
      child.on("close", finish);
    }),
  );
}
