import { type ChildProcess, spawn } from "node:child_process";
import { track } from "./children.js";
import { BIN, ROOT } from "./paths.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns the real binary and collects its exit code and output. */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return finished(startCli(args, opts));
}

export function startCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: boolean } = {},
): ChildProcess {
  return track(
    spawn(BIN, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    }),
  );
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Resolves when the child's stdout contains `text`. */
export function waitForOutput(child: ChildProcess, text: string | RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer | string) => {
      seen += d.toString();
      if (typeof text === "string" ? seen.includes(text) : text.test(seen)) {
        child.stdout?.off("data", onData);
        resolve(seen);
      }
    };
    child.stdout?.on("data", onData);
    child.once("close", () => reject(new Error(`process ended before printing ${String(text)}:\n${seen}`)));
  });
}
