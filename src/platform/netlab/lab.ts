import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  LAB_ID,
  LAB_NS,
  LAB_PREFIX,
  type LabInfo,
  type LabProcessSpec,
  type LabReady,
  type LabSpec,
  layout,
} from "../../core/lab.js";
import { stateDir } from "../state-dir.js";
import { cmd, must } from "./cmd.js";

const ENTRY = fileURLToPath(new URL("../../cli/entry.js", import.meta.url));
/** `ip netns exec NS` bind-mounts /etc/netns/NS/* over /etc: how a lab host gets the lab's resolver. */
const NETNS_ETC = "/etc/netns";
const POLL_MS = 50;

export const newLabId = (): string => randomBytes(3).toString("hex");

const labsDir = (): string => join(stateDir(), "labs");

/** The running labs this user brought up (for `lab status`, `lab down NAME` and faults naming a lab). */
export function listLabs(): LabInfo[] {
  let names: string[];
  try {
    names = readdirSync(labsDir());
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      const info = JSON.parse(readFileSync(join(labsDir(), n), "utf8")) as LabInfo;
      return LAB_ID.test(info.id) ? [info] : [];
    } catch {
      return [];
    }
  });
}

function writeLabFile(info: LabInfo): void {
  mkdirSync(labsDir(), { recursive: true, mode: 0o700 });
  writeFileSync(join(labsDir(), `${info.id}.json`), JSON.stringify(info), { mode: 0o600 });
}

/** The namespaces of lab `id` that exist now (all of them when id is undefined), by withstand's names only. */
export async function labNamespaces(id?: string): Promise<string[]> {
  const out = await cmd("ip", ["netns", "list"]);
  return out.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => LAB_NS.test(n) && (id === undefined || n.startsWith(`${LAB_PREFIX}${id}-`)));
}

/** The processes inside a namespace (every one is the lab's: nothing else runs in our namespaces). */
async function pidsIn(ns: string): Promise<number[]> {
  const r = await cmd("ip", ["netns", "pids", ns]);
  return r.stdout
    .split("\n")
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1);
}

/**
 * Tears a lab down without the process that made it (the run, `lab down`, `halt`, the watchdog):
 * kills every process inside its namespaces (resumed first, in case a fault froze them), deletes the
 * namespaces (which takes their veths, bridge, nftables tables and qdiscs with them) and their
 * /etc/netns files. Idempotent; only names of lab `id` are touched.
 */
export async function teardownLab(id: string): Promise<string> {
  if (!LAB_ID.test(id)) return `lab id ${JSON.stringify(id)} is not withstand's: left alone`;
  const first = await sweepLab(id);
  // An `ip` the dead runner started may still be finishing (a namespace added a moment after the
  // first look): one more look after it had time to, so nothing it made outlives the teardown.
  await new Promise((r) => setTimeout(r, 250));
  const late = await sweepLab(id);
  const n = first + late;
  return n > 0 ? `lab ${id} down (${n} namespaces deleted)` : `lab ${id} already down`;
}

async function sweepLab(id: string): Promise<number> {
  const namespaces = await labNamespaces(id);
  for (const ns of namespaces)
    for (const pid of await pidsIn(ns)) {
      for (const sig of ["SIGCONT", "SIGKILL"] as const)
        try {
          process.kill(pid, sig);
        } catch {
          // Gone meanwhile.
        }
    }
  const failed: string[] = [];
  for (const ns of namespaces) {
    const r = await cmd("ip", ["netns", "del", ns]);
    if (r.code !== 0) failed.push(`${ns}: ${r.stderr.trim()}`);
  }
  try {
    for (const d of readdirSync(NETNS_ETC))
      if (LAB_NS.test(d) && d.startsWith(`${LAB_PREFIX}${id}-`))
        rmSync(join(NETNS_ETC, d), { recursive: true, force: true });
  } catch {
    // No /etc/netns: nothing of ours there.
  }
  rmSync(join(labsDir(), `${id}.json`), { force: true });
  if (failed.length > 0) throw new Error(`lab ${id}: could not delete ${failed.join("; ")}`);
  return namespaces.length;
}

/** Whether a process in the lab is ready: its host listens on the port, or the check command exits 0. */
async function isReady(ready: LabReady, ns: string, pid: number): Promise<boolean> {
  if ("exec" in ready) {
    const r = await new Promise<number | null>((resolve) => {
      const c = spawn("ip", ["netns", "exec", ns, ...ready.exec], { stdio: "ignore" });
      c.on("error", () => resolve(1));
      c.on("close", (code) => resolve(code));
    });
    return r === 0;
  }
  // /proc/PID/net/* lists the sockets of PID's network namespace: no process is spawned to look.
  const [files, state] = "tcp" in ready ? [["tcp", "tcp6"], "0A"] : [["udp", "udp6"], "07"];
  const port = ("tcp" in ready ? ready.tcp : ready.udp).toString(16).toUpperCase().padStart(4, "0");
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${port}`) && cols[3] === state) return true;
    }
  }
  return false;
}

function describeReady(r: LabReady): string {
  return "tcp" in r
    ? `TCP port ${r.tcp} listening`
    : "udp" in r
      ? `UDP port ${r.udp} bound`
      : `${r.exec.join(" ")} exiting 0`;
}

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: () => boolean;
}

function startIn(ns: string, argv: readonly string[]): Started {
  const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  let gone = false;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (err) => {
    tail += err.message;
    gone = true;
  });
  child.on("exit", () => {
    gone = true;
  });
  return { child, stderr: () => tail, exited: () => gone };
}

async function waitReady(s: Started, p: LabProcessSpec, ns: string, host: string): Promise<void> {
  const what = `host ${host}: ${p.command.join(" ")}`;
  const deadline = Date.now() + p.timeoutMs;
  for (;;) {
    if (s.exited())
      throw new Error(`${what} exited before it was ready: ${s.stderr().trim() || "(no output)"}`);
    if (!p.ready || (s.child.pid !== undefined && (await isReady(p.ready, ns, s.child.pid)))) return;
    if (Date.now() > deadline)
      throw new Error(`${what} was not ready within ${p.timeoutMs} ms (expected ${describeReady(p.ready)})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export interface RunningLab {
  info: LabInfo;
  /** Brings the lab down; calling it again does nothing. */
  down(): Promise<string>;
}

/**
 * Brings a lab up: a hub namespace holding the bridge (and the lab's DNS server on its address), one
 * namespace per host with a veth into the bridge, each host's processes started in order and awaited
 * until ready. A failure tears down what was made, then throws. The caller registers `teardownLab(id)`
 * with the safety registry before calling this, so a crash half-way is reverted too.
 */
export async function upLab(spec: LabSpec, id: string): Promise<RunningLab> {
  const info = layout(id, spec);
  const children: ChildProcess[] = [];
  let done: Promise<string> | undefined;
  const down = (): Promise<string> => {
    done ??= (async () => {
      for (const c of children) c.kill("SIGKILL");
      return teardownLab(id);
    })();
    return done;
  };
  try {
    writeLabFile(info);
    const hub = info.hub;
    await must("ip", ["netns", "add", hub]);
    await must("ip", ["-n", hub, "link", "set", "lo", "up"]);
    await must("ip", ["-n", hub, "link", "add", "br0", "type", "bridge"]);
    await must("ip", ["-n", hub, "addr", "add", `${info.dns}/24`, "dev", "br0"]);
    await must("ip", ["-n", hub, "link", "set", "br0", "up"]);
    for (const h of info.hosts) {
      await must("ip", ["netns", "add", h.ns]);
      await must("ip", [
        "-n",
        hub,
        "link",
        "add",
        h.port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        h.ns,
      ]);
      await must("ip", ["-n", hub, "link", "set", h.port, "master", "br0", "up"]);
      await must("ip", ["-n", h.ns, "addr", "add", `${h.address}/24`, "dev", "eth0"]);
      await must("ip", ["-n", h.ns, "link", "set", "eth0", "up"]);
      await must("ip", ["-n", h.ns, "link", "set", "lo", "up"]);
      mkdirSync(join(NETNS_ETC, h.ns), { recursive: true });
      writeFileSync(
        join(NETNS_ETC, h.ns, "resolv.conf"),
        `# withstand lab ${spec.name} (${id})\nnameserver ${info.dns}\nsearch lab\noptions timeout:1 attempts:2\n`,
      );
    }
    // The lab's DNS server: `withstand dns` in the hub, answering each host's name (and NAME.lab).
    const records = info.hosts.flatMap((h) => [
      "--record",
      `${h.name}=${h.address}`,
      "--record",
      `${h.name}.lab=${h.address}`,
    ]);
    const dns = startIn(hub, [
      process.execPath,
      ENTRY,
      "dns",
      "--listen",
      `${info.dns}:53`,
      "--api",
      "127.0.0.1:0",
      "--upstream",
      "none",
      ...records,
    ]);
    children.push(dns.child);
    await waitReady(
      dns,
      { command: ["withstand", "dns"], ready: { udp: 53 }, timeoutMs: 10_000 },
      hub,
      "hub",
    );
    for (const [i, h] of spec.hosts.entries()) {
      const ns = info.hosts[i]?.ns as string;
      for (const p of h.processes) {
        const s = startIn(ns, p.command);
        children.push(s.child);
        await waitReady(s, p, ns, h.name);
      }
    }
    return { info, down };
  } catch (err) {
    await down().catch(() => undefined);
    throw err;
  }
}

/** The pids of every process in the given namespaces (a zone-down freezes them). */
export async function pidsOf(namespaces: readonly string[]): Promise<number[]> {
  return (await Promise.all(namespaces.filter((n) => LAB_NS.test(n)).map(pidsIn))).flat();
}
