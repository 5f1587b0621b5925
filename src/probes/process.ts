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
      const options = {
        stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
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
      let timedOut = false;
      const timer =
        spec.timeout !== undefined
          ? setTimeout(() => {
              timedOut = true;
              child.kill("SIGKILL");
            }, spec.timeout * 1000)
          : undefined;
      const onAbort = () => child.kill("SIGKILL");
      // A stop that came before the program started (while its module loaded) still ends it.
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      child.on("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const why = err.code === "ENOENT" ? `program ${JSON.stringify(spec.path)} not found` : err.message;
        reject(new ActivityFailure(why, undefined, { cause: err }));
      });
      child.on("close", (code, sig) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
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
      });
    }),
  );
}
