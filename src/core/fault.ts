/**
 * What a fault acts on. Targets are not process-shaped: a network fault hits a proxy, a disk fill a
 * file system, a DNS fault a name. `id` identifies it (a pid, a proxy name, a path); `label` is shown.
 */
export type TargetKind = "process" | "proxy" | "file" | "host" | "dns";

export interface FaultTarget {
  kind: TargetKind;
  id: string;
  label: string;
}

/** One line for the CLI, the events, the reports and the dashboard: `process 4242 node orders.js`. */
export function describeTarget(t: FaultTarget): string {
  const label = t.label.length > 120 ? `${t.label.slice(0, 117)}...` : t.label;
  return t.id === label || label === "" ? `${t.kind} ${t.id}` : `${t.kind} ${t.id} ${label}`;
}

export function processTarget(pid: number, command: string): FaultTarget {
  return { kind: "process", id: String(pid), label: command };
}
