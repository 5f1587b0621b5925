import { spawn } from "node:child_process";
import { ActivityFailure } from "../core/errors.js";
import type { ProcessProviderSpec } from "../core/experiment.js";

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
  return new Promise((resolve, reject) => {
    const shell = typeof spec.arguments === "string";
    const child = shell
      ? spawn(`${spec.path} ${spec.arguments as string}`, { shell: true, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(spec.path, [...((spec.arguments as readonly string[] | undefined) ?? [])], {
          stdio: ["ignore", "pipe", "pipe"],
        });
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
    signal.addEventListener("abort", onAbort, { once: true });
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
  });
}
