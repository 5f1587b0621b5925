import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { processTarget } from "../core/fault.js";
import { urlHostPort } from "../core/host-port.js";
import type { UpstreamSpec, Version } from "../core/rollout.js";
import { starttimeOf } from "../platform/processes.js";
import { freePort } from "../proxy/listen.js";
import { closeClock, openClock } from "../safety/clocks.js";
import type { SafetyRegistry } from "../safety/registry.js";

export interface RunningUpstream {
  version: Version;
  url: string;
  /** Set when withstand started the version: stopping it is then ours to do. */
  pid?: number;
  stop(reason: string): Promise<void>;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts a version given as a command and waits until its port accepts connections. The process is
 * registered with the safety registry before anything else, so a crash, Ctrl-C or `withstand halt`
 * stops it too: nothing withstand starts outlives the rollout.
 */
export async function startUpstream(
  version: Version,
  spec: UpstreamSpec,
  registry: SafetyRegistry,
): Promise<RunningUpstream> {
  if (!spec.command) {
    return { version, url: spec.url ?? "", stop: async () => undefined };
  }
  const port = spec.url ? Number(new URL(spec.url).port) : await freePort();
  const url = spec.url ?? `http://127.0.0.1:${port}`;
  const { host } = urlHostPort(new URL(url));
  const [cmd, ...args] = spec.command.map((a) => a.replaceAll("${port}", String(port)));
  // A version with a clock runs with libfaketime preloaded: a clock-skew fault on that clock moves it.
  const clock = spec.clock ? openClock(spec.clock, spec.env?.LD_PRELOAD ?? process.env.LD_PRELOAD) : {};
  const child = spawn(cmd as string, args, {
    env: { ...process.env, PORT: String(port), ...spec.env, ...clock },
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (err) => resolve(err));
  });
  if (spawned || child.pid === undefined)
    throw new Error(`${version}: cannot start ${spec.command.join(" ")}: ${spawned?.message ?? "no pid"}`);
  const pid = child.pid;
  const record = await registry.inject(
    {
      kind: "upstream",
      activity: `start ${version}`,
      targets: [processTarget(pid, [cmd, ...args].join(" "))],
      revert: { type: "stop", targets: [{ pid, starttime: starttimeOf(pid) ?? 0 }] },
    },
    () => undefined,
  );
  const exited = exitOf(child);
  const stop = async (reason: string) => {
    await registry.revert(record.id, reason);
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(killer);
    if (spec.clock) closeClock(spec.clock);
  };
  const deadline = Date.now() + spec.readyTimeoutMs;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!(await accepts(host, port))) {
    if (gone || Date.now() > deadline) {
      await stop("did not become ready");
      throw new Error(
        `${version}: ${spec.command.join(" ")} ${gone ? `exited with ${child.exitCode ?? child.signalCode}` : `did not accept connections on ${host}:${port} within ${spec.readyTimeoutMs / 1000}s`}${tail ? `; its output ends: ${tail.trim().slice(-500)}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { version, url, pid, stop };
}
