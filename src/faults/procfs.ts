import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Process discovery through /proc: command lines, ancestry, identity, and listening sockets. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
  /** Start time in clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  starttime: number;
}

function readStat(pid: number): { ppid: number; starttime: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "?", ppid: Number(rest[1]), starttime: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

export function processInfo(pid: number): ProcessInfo | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
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

/** Socket inodes listening on a TCP port, from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (!local || state !== "0A" || !inode || inode === "0") continue;
      const hexPort = local.slice(local.lastIndexOf(":") + 1);
      if (Number.parseInt(hexPort, 16) === port) inodes.add(inode);
    }
  }
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
