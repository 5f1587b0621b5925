import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { track } from "./children.js";

/** A real victim process for fault tests: a node program that stays alive until killed. */
export function startVictim(tag: string): ChildProcess {
  return track(spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", tag], { stdio: "ignore" }));
}

export function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** Polls a condition until it holds or the timeout passes; for state we cannot subscribe to (/proc). */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts test/helpers/target-server.js in its own process and resolves with its URL. */
export async function startTarget(
  args: string[] = [],
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const script = new URL("./target-server.js", import.meta.url).pathname;
  const child = track(spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] }));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`target server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}

/** A process's children, from the kernel's own list (no scan of other processes). */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8")
          .split(" ")
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** Every process below `pid` (children, their children, ...). */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  // Bounded: a process tree is finite, and a pid is visited once.
  while (queue.length > 0 && out.length < 10_000) {
    const next = queue.shift() as number;
    if (out.includes(next)) continue;
    out.push(next);
    queue.push(...childrenOf(next));
  }
  return out;
}

/**
 * The running stressors of one kind (faults/stressors/NAME.js) that THIS test's runs started: the ones
 * in this process's tree, and the orphans of a runner it SIGKILLed (re-parented to pid 1), each only if
 * its environment names the test's own state directory. Never a scan of every process on the machine,
 * so another withstand run on the machine (another user, another `make test`) never changes the answer.
 */
export function stressorPids(name: string, stateDir: string): number[] {
  const candidates = new Set([...descendantsOf(process.pid), ...childrenOf(1)]);
  return [...candidates].filter((pid) => {
    try {
      if (stateOf(pid) === "Z") return false;
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`/faults/stressors/${name}.js`))
        return false;
      return readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .includes(`WITHSTAND_STATE_DIR=${stateDir}`);
    } catch {
      return false;
    }
  });
}

/**
 * Stops a child a test started and waits until it is gone: SIGTERM first (a withstand runner reverts
 * its faults and records the run as interrupted), SIGKILL if it is still there after `graceMs`. For
 * teardowns (`t.after`, `finally`), so a failed assertion never leaves a process behind.
 */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), graceMs);
  });
  if ((await Promise.race([gone, late])) === "late") child.kill("SIGKILL");
  clearTimeout(timer);
  await gone;
}
