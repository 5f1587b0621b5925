import { randomBytes } from "node:crypto";
import { ConfigError } from "../core/errors.js";
import type { FaultTarget, RevertAction } from "../core/fault.js";
import type { FaultContext, FaultDryRunContext } from "../core/fault-kind.js";
import {
  type DropRule,
  faultTable,
  type HostSet,
  hostFaultTable,
  type LabHost,
  type LabInfo,
  netnsAllowed,
  resolveHosts,
} from "../core/lab.js";
import { addPidTable, addTable, processNetns } from "../platform/netlab/faults.js";
import { listLabs } from "../platform/netlab/lab.js";

/** The lab a fault acts in: the one named by `lab:` (brought up by `withstand lab up`), or the run's own. */
export function labFor(p: { lab?: string | undefined }, ctx: FaultDryRunContext): LabInfo {
  if (p.lab !== undefined) {
    const lab = listLabs().find((l) => l.name === p.lab || l.id === p.lab);
    if (!lab)
      throw new ConfigError(
        `${ctx.loc}: fault.lab: no running lab is named ${JSON.stringify(p.lab)} (expected one brought up by withstand lab up; running: ${
          listLabs()
            .map((l) => l.name)
            .join(", ") || "none"
        })`,
      );
    return lab;
  }
  const own = ctx.services.get<LabInfo>("lab");
  if (!own)
    throw new ConfigError(
      `${ctx.loc}: fault: a lab fault needs a lab (expected lab: FILE in the experiment, or fault.lab naming a running lab)`,
    );
  return own;
}

/** The hosts a set names, as a ConfigError at the fault's location when it names none of the lab's. */
export function hostsOf(lab: LabInfo, set: HostSet | string, loc: string, zoneFirst = true): LabHost[] {
  try {
    // A bare name in `between:` is a zone; elsewhere (host:, link:) it is a host.
    return resolveHosts(lab, typeof set === "string" && zoneFirst ? { zone: set } : set);
  } catch (err) {
    throw new ConfigError(`${loc}: fault: ${(err as Error).message}`);
  }
}

export const addresses = (hosts: readonly LabHost[]): string[] => hosts.map((h) => h.address);
export const hostTargets = (hosts: readonly LabHost[]): FaultTarget[] =>
  hosts.map((h) => ({ kind: "host", id: h.name, label: `${h.address} zone ${h.zone}` }));
export const newTable = (): string => `wsf-${randomBytes(4).toString("hex")}`;

/**
 * Registers a fault's revert (its own nftables table, and whatever `extra` adds), then adds the table
 * to the lab's hub: the revert is on disk before the kernel changes, so every exit path undoes it.
 */
export async function injectTable(
  kind: string,
  p: { duration?: number | undefined },
  ctx: FaultContext,
  lab: LabInfo,
  rules: DropRule[],
  targets: FaultTarget[],
  extra: { revert?: Omit<RevertAction, "type">; apply?: () => Promise<void> } = {},
): Promise<{ table: string; id: string }> {
  const table = newTable();
  const record = await ctx.registry.inject(
    {
      kind,
      activity: ctx.activity,
      targets,
      revert: { type: "lab-fault", hub: lab.hub, table, ...extra.revert },
    },
    async () => {
      if (rules.length > 0)
        await addTable(lab.hub, table, faultTable(table, rules, `withstand ${kind} ${ctx.activity}`));
      await extra.apply?.();
    },
  );
  if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
  return { table, id: record.id };
}

export const filterOf = (p: {
  protocol?: "tcp" | "udp" | "icmp" | undefined;
  ports?: number[] | undefined;
}) => ({
  protocol: p.protocol,
  ports: p.ports,
});

/**
 * A fault in a real process's own network namespace (a container's, by pid): refused unless the
 * process's command name is listed in WITHSTAND_NETNS_ALLOW, and always for the machine's own
 * namespace. The namespace is named (`ws-p<8 hex>`) before the table goes in, so the revert (the run,
 * halt, the watchdog) deletes the table and the name even after the process is gone.
 */
export async function injectPidTable(
  kind: string,
  p: { pid?: number | undefined; duration?: number | undefined },
  ctx: FaultContext,
  rules: { input: DropRule[]; output: DropRule[] },
): Promise<{ table: string; ns: string }> {
  const pid = p.pid as number;
  const proc = processNetns(pid);
  if (!proc)
    throw new ConfigError(`${ctx.loc}: fault.pid: no process ${pid} (expected the pid of a running process)`);
  if (proc.hostNamespace)
    throw new ConfigError(
      `${ctx.loc}: fault.pid: process ${pid} (${proc.comm}) shares the machine's own network namespace; refusing (expected a container's or a lab's process)`,
    );
  if (!netnsAllowed(proc.comm, process.env.WITHSTAND_NETNS_ALLOW))
    throw new ConfigError(
      `${ctx.loc}: fault.pid: ${proc.comm} (pid ${pid}) is not in WITHSTAND_NETNS_ALLOW (expected its command name listed there, comma-separated, to allow network faults in its namespace)`,
    );
  const table = newTable();
  const ns = `ws-p${randomBytes(4).toString("hex")}`;
  const record = await ctx.registry.inject(
    {
      kind,
      activity: ctx.activity,
      targets: [{ kind: "process", id: String(pid), label: proc.comm }],
      revert: { type: "lab-fault", hub: ns, table },
    },
    () => addPidTable(ns, pid, table, hostFaultTable(table, rules, `withstand ${kind} ${ctx.activity}`)),
  );
  if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
  return { table, ns };
}
