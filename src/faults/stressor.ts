import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { starttimeOf } from "../platform/processes.js";

/**
 * A stressor is a process of withstand's own (faults/stressors/), started before its fault is
 * registered and idle until told to go: the registry records its pid and start time first, so every
 * exit path (the run, halt, the watchdog) stops it; and it leashes itself to the runner, so it also
 * ends by itself when the runner is gone.
 */
export interface Stressor {
  pid: number;
  starttime: number;
  child: ChildProcess;
  /** The latest progress it reported (its core's utilisation, the memory it reached, ...). */
  latest: Record<string, unknown>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  go(params: Record<string, unknown>): void;
}

export async function startStressor(name: string, args: string[], pinTo?: number[]): Promise<Stressor> {
  const script = fileURLToPath(new URL(`./stressors/${name}.js`, import.meta.url));
  const argv = [process.execPath, script, ...args];
  const [cmd, ...rest] = pinTo ? ["taskset", "-c", pinTo.join(","), ...argv] : argv;
  const child = spawn(cmd as string, rest, { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-1000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const latest: Record<string, unknown> = {};
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (m: { type?: string }) => {
      if (m?.type === "ready") resolve();
      else if (m?.type === "report") Object.assign(latest, m);
    });
    child.once("error", reject);
    void exited.then(({ code, signal }) =>
      reject(
        new Error(
          `${name} stressor exited (${signal ?? code}) before it was ready${stderr ? `: ${stderr.trim()}` : ""}`,
        ),
      ),
    );
  });
  await ready;
  // The run must not wait for its stressors: the revert stops them, the leash ends them otherwise.
  child.unref();
  child.channel?.unref();
  const pid = child.pid ?? 0;
  return {
    pid,
    starttime: starttimeOf(pid) ?? 0,
    child,
    latest,
    exited,
    go: (params) => child.send({ type: "go", params }),
  };
}

/** Stops stressors that never got registered (a failed start of a sibling). */
export function killStressors(stressors: readonly Stressor[]): void {
  for (const s of stressors) s.child.kill("SIGKILL");
}
