import { readdir, readFile } from "node:fs/promises";

/**
 * The system databases the resources read (users, groups, packages), each read once per check run:
 * a hundred checks cost one read of /etc/passwd, not a hundred.
 */
const cache = new Map<string, { at: number; value: Promise<unknown> }>();
const FRESH_MS = 1000;

function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.value as Promise<T>;
  const value = load();
  cache.set(key, { at: Date.now(), value });
  return value;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

async function lines(path: string): Promise<string[][]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(":"));
}

export function users(): Promise<PasswdEntry[]> {
  return cached("passwd", async () =>
    (await lines("/etc/passwd")).map((f) => ({
      name: f[0] ?? "",
      uid: Number(f[2]),
      gid: Number(f[3]),
      home: f[5] ?? "",
      shell: f[6] ?? "",
    })),
  );
}

export function groups(): Promise<GroupEntry[]> {
  return cached("group", async () =>
    (await lines("/etc/group")).map((f) => ({
      name: f[0] ?? "",
      gid: Number(f[2]),
      members: (f[3] ?? "").split(",").filter(Boolean),
    })),
  );
}

export interface DebPackage {
  name: string;
  version: string;
}

/** Installed Debian packages, from dpkg's own status file (what `dpkg-query -W` reads), in one pass. */
export function debPackages(): Promise<Map<string, string[]>> {
  return cached("dpkg", async () => {
    const text = await readFile("/var/lib/dpkg/status", "utf8").catch(() => "");
    const installed = new Map<string, string[]>();
    let name = "";
    let version = "";
    let ok = false;
    const flush = () => {
      if (name && version && ok) {
        const list = installed.get(name) ?? [];
        if (!list.includes(version)) list.push(version);
        installed.set(name, list);
      }
      name = "";
      version = "";
      ok = false;
    };
    for (let at = 0; at <= text.length; ) {
      let end = text.indexOf("\n", at);
      if (end === -1) end = text.length;
      // Only field lines matter: continuation lines start with a space.
      if (end === at) flush();
      else if (text.startsWith("Package: ", at)) name = text.slice(at + 9, end);
      else if (text.startsWith("Version: ", at)) version = text.slice(at + 9, end);
      else if (text.startsWith("Status: ", at)) ok = text.slice(at + 8, end).endsWith(" installed");
      at = end + 1;
    }
    flush();
    return installed;
  });
}

/** The running processes' names (/proc/PID/comm), read once for all the process checks of a run. */
export function processNames(): Promise<Set<string>> {
  return cached("proc", async () => {
    const pids = (await readdir("/proc")).filter((p) => p.charCodeAt(0) >= 48 && p.charCodeAt(0) <= 57);
    const names = await Promise.all(pids.map((p) => readFile(`/proc/${p}/comm`, "utf8").catch(() => "")));
    return new Set(names.map((n) => n.trim()));
  });
}

/** `~` and `~user` at the start of a path, as a shell (and Goss) expands them. */
export async function expandHome(path: string): Promise<string> {
  const m = /^~([^/]*)(.*)$/.exec(path);
  if (!m) return path;
  if (!m[1]) return `${process.env.HOME ?? ""}${m[2]}`;
  const user = (await users()).find((u) => u.name === m[1]);
  return user ? `${user.home}${m[2]}` : path;
}
