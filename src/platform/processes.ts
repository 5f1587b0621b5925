import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * Process discovery and identity through /proc (Linux): command lines, ancestry, start times and
 * listening sockets. Safety, faults, the store and rollouts all name processes through here.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
  /** Start time in clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  starttime: number;
}

/** PF_KTHREAD in /proc/PID/stat's flags: a kernel thread ignores signals from user space. */
const PF_KTHREAD = 0x00200000;

function readStat(
  pid: number,
): { ppid: number; starttime: number; state: string; kernel: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const flags = Number(rest[6]);
    return {
      state: rest[0] ?? "?",
      ppid: Number(rest[1]),
      starttime: Number(rest[19]),
      kernel: Number.isFinite(flags) && (flags & PF_KTHREAD) !== 0,
    };
  } catch {
    return undefined;
  }
}

/** A user-space process (kernel threads, with no command line to match and deaf to signals, are never one). */
export function processInfo(pid: number): ProcessInfo | undefined {
  const stat = readStat(pid);
  if (!stat || stat.kernel) return undefined;
  let command = "";
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
  if (command === "") {
    try {
      command = `[${readFileSync(`/proc/${pid}/comm`, "utf8").trim()}]`;
    } catch {
      return undefined;
    }
  }
  return { pid, ppid: stat.ppid, command, starttime: stat.starttime };
}

/** Clock ticks since boot when the process started; with the pid it names one process. */
export function starttimeOf(pid: number): number | undefined {
  return readStat(pid)?.starttime;
}

export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** The pid itself and every ancestor up to init. */
export function lineage(pid: number): Set<number> {
  const seen = new Set<number>();
  let current = pid;
  while (current > 0 && !seen.has(current)) {
    seen.add(current);
    const stat = readStat(current);
    if (!stat) break;
    current = stat.ppid;
  }
  return seen;
}

/** One socket row of a /proc/net table (tcp, tcp6, udp, udp6): the local address still in hex. */
export interface ProcNetSocket {
  /** The local address as the kernel writes it: little-endian hex words. */
  localHex: string;
  port: number;
  /** The state code: "0A" is TCP LISTEN, "07" an unconnected UDP socket. */
  state: string;
  inode: string;
}

/** The sockets of /proc/net/TABLE (empty when the table cannot be read). */
export function procNetSockets(table: "tcp" | "tcp6" | "udp" | "udp6"): ProcNetSocket[] {
  let text: string;
  try {
    text = readFileSync(`/proc/net/${table}`, "utf8");
  } catch {
    return [];
  }
  const out: ProcNetSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (!local) continue;
    const colon = local.lastIndexOf(":");
    out.push({
      localHex: local.slice(0, colon),
      port: Number.parseInt(local.slice(colon + 1), 16),
      state: cols[3] ?? "",
      inode: cols[9] ?? "",
    });
  }
  return out;
}

/** Socket inodes listening on a TCP port, from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["tcp", "tcp6"] as const)
    for (const s of procNetSockets(table))
      if (s.state === "0A" && s.port === port && s.inode && s.inode !== "0") inodes.add(s.inode);
  return inodes;
}

export function pidsListeningOn(port: number): number[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] && inodes.has(m[1])) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/**
 * Whether the process recorded as {pid, starttime} is still that process and still running: a pid
 * now held by another process (a different start time) or a zombie awaiting its parent is not.
 */
export function sameProcess(p: { pid: number; starttime: number }): boolean {
  const stat = readStat(p.pid);
  return stat !== undefined && stat.starttime === p.starttime && stat.state !== "Z" && stat.state !== "X";
}

/** Liveness by pid alone (a zombie counts as alive); prefer sameProcess wherever a start time is known. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How many processes the kernel's OOM killer has killed since boot (/proc/vmstat), if it says. */
export function oomKills(): number | undefined {
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync("/proc/vmstat", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
