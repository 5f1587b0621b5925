import { FAULT_TABLE, LAB_ID, LAB_NS, PID_NS } from "../../core/lab.js";
import { deleteTable, removeShape } from "../../platform/netlab/faults.js";
import { teardownLab } from "../../platform/netlab/lab.js";
import { sameProcess } from "../../platform/processes.js";
import { isProcessList, type ProcessIdentity, type RevertAction, type RevertExecutor } from "./types.js";

/** Brings a whole lab down by its id: every namespace `ws-<id>-*`, its processes and /etc/netns files. */
export const labDown: RevertExecutor = {
  type: "lab-down",
  accepts: (a: RevertAction) => typeof a.lab === "string" && LAB_ID.test(a.lab),
  run: (a: RevertAction) => teardownLab(a.lab as string),
};

interface Shape {
  ns: string;
  dev: string;
  minor: number;
}

const isShapes = (v: unknown): v is Shape[] =>
  Array.isArray(v) &&
  v.every(
    (s) =>
      typeof s === "object" &&
      s !== null &&
      typeof (s as Shape).ns === "string" &&
      LAB_NS.test((s as Shape).ns) &&
      typeof (s as Shape).dev === "string" &&
      Number.isInteger((s as Shape).minor),
  );

/**
 * Undoes one network fault in a lab: deletes its nftables table in the hub, removes its htb classes,
 * resumes the processes it froze. The record names only withstand's own tables and namespaces (checked
 * here, as it is read back from disk), so an edited record cannot remove anything else.
 */
export const labFault: RevertExecutor = {
  type: "lab-fault",
  accepts: (a: RevertAction) =>
    typeof a.hub === "string" &&
    (LAB_NS.test(a.hub) || PID_NS.test(a.hub)) &&
    (a.table === undefined || (typeof a.table === "string" && FAULT_TABLE.test(a.table))) &&
    (a.shapes === undefined || isShapes(a.shapes)) &&
    (a.resume === undefined || isProcessList(a.resume)),
  async run(a: RevertAction): Promise<string> {
    const done: string[] = [];
    if (a.table !== undefined) done.push(await deleteTable(a.hub as string, a.table as string));
    for (const s of (a.shapes as Shape[] | undefined) ?? [])
      done.push(await removeShape(s.ns, s.dev, s.minor));
    const resumed: number[] = [];
    for (const t of (a.resume as ProcessIdentity[] | undefined) ?? []) {
      if (!sameProcess(t)) continue;
      try {
        process.kill(t.pid, "SIGCONT");
        resumed.push(t.pid);
      } catch {
        // Gone meanwhile.
      }
    }
    if (resumed.length > 0) done.push(`SIGCONT to ${resumed.join(", ")}`);
    return done.join("; ") || "nothing to revert";
  },
};
