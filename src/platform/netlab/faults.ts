import { readFileSync, statSync } from "node:fs";
import { FAULT_TABLE, LAB_NS, PID_NS, type ShapedEgress, shapeArgs } from "../../core/lab.js";
import { cmd, must } from "./cmd.js";

/** Adds a fault's own nftables table to the lab's hub namespace (one transaction: all of it or none). */
export async function addTable(hub: string, table: string, text: string): Promise<void> {
  if (!LAB_NS.test(hub) || !FAULT_TABLE.test(table))
    throw new Error(`${hub}/${table}: not withstand's names`);
  await must("ip", ["netns", "exec", hub, "nft", "-f", "-"], text);
}

/** Deletes a fault's table; one already gone (or its lab) is fine. Only withstand's names are touched. */
export async function deleteTable(hub: string, table: string): Promise<string> {
  const pid = PID_NS.test(hub);
  if (!(LAB_NS.test(hub) || pid) || !FAULT_TABLE.test(table))
    return `${hub}/${table}: not withstand's: left alone`;
  const r = await cmd("ip", ["netns", "exec", hub, "nft", "delete", "table", pid ? "inet" : "bridge", table]);
  let how: string;
  if (r.code === 0) how = `nft table ${table} deleted`;
  else if (/No such file or directory|Cannot open network namespace|Invalid argument/.test(r.stderr))
    how = `nft table ${table} already gone`;
  else throw new Error(`nft delete table ${table} in ${hub}: ${r.stderr.trim()}`);
  // A process's namespace was only named for the fault: the name goes, the namespace stays with its process.
  if (pid) await cmd("ip", ["netns", "del", hub]);
  return how;
}

/** Adds a fault's inet table inside a process's namespace, named `ns` for the fault (ip netns attach). */
export async function addPidTable(ns: string, pid: number, table: string, text: string): Promise<void> {
  if (!PID_NS.test(ns) || !FAULT_TABLE.test(table)) throw new Error(`${ns}/${table}: not withstand's names`);
  await must("ip", ["netns", "attach", ns, String(pid)]);
  await must("ip", ["netns", "exec", ns, "nft", "-f", "-"], text);
}

/** A process's command name, and whether it lives in the machine's own network namespace (never a target). */
export function processNetns(pid: number): { comm: string; hostNamespace: boolean } | undefined {
  const ino = (p: string): number | undefined => {
    try {
      return statSync(p).ino;
    } catch {
      return undefined;
    }
  };
  let comm: string;
  try {
    comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
  const target = ino(`/proc/${pid}/ns/net`);
  if (target === undefined) return undefined;
  // Ours is the machine's namespace (a lab never runs its runner inside one); init's too, when readable.
  const host = [ino("/proc/self/ns/net"), ino("/proc/1/ns/net")].filter((x) => x !== undefined);
  return { comm, hostNamespace: host.includes(target) };
}

/** Adds a bandwidth fault's htb class and filter on one device (the shared htb root made if missing). */
export async function addShape(e: ShapedEgress, minor: number, rate: string, burst: string): Promise<void> {
  if (!LAB_NS.test(e.ns)) throw new Error(`${e.ns}: not a lab namespace`);
  const a = shapeArgs(e, minor, rate, burst);
  const root = await cmd("tc", a.root);
  // Another bandwidth fault made the root already: its classes stay, this one adds its own.
  if (root.code !== 0 && !/File exists|Exclusivity flag/.test(root.stderr))
    throw new Error(`tc ${a.root.join(" ")}: ${root.stderr.trim()}`);
  await must("tc", a.cls);
  await must("tc", a.filter);
}

/**
 * Removes one bandwidth fault from a device: its filter, then its class; the htb root goes with the
 * last class, so a device no fault shapes has no qdisc of ours. A namespace already gone is fine.
 */
export async function removeShape(ns: string, dev: string, minor: number): Promise<string> {
  if (
    !LAB_NS.test(ns) ||
    !/^(eth0|p\d{1,3})$/.test(dev) ||
    !Number.isInteger(minor) ||
    minor < 1 ||
    minor > 0xfffe
  )
    return `${ns}/${dev}: not withstand's: left alone`;
  const hex = minor.toString(16);
  const gone = (s: string) => /Cannot find|No such file|Cannot open network namespace|not find/i.test(s);
  const f = await cmd("tc", ["-n", ns, "filter", "del", "dev", dev, "parent", "1:", "prio", String(minor)]);
  if (f.code !== 0 && gone(f.stderr)) return `${ns} ${dev}: already gone`;
  await cmd("tc", ["-n", ns, "class", "del", "dev", dev, "classid", `1:${hex}`]);
  const left = await cmd("tc", ["-n", ns, "class", "show", "dev", dev]);
  if (left.code === 0 && left.stdout.trim() === "")
    await cmd("tc", ["-n", ns, "qdisc", "del", "dev", dev, "root"]);
  return `${ns} ${dev} class 1:${hex} removed`;
}
