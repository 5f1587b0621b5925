/**
 * The network lab's pure part: names, addresses and the nftables/tc text of its faults. Nothing here
 * touches the kernel (platform/netlab does); everything here is unit-tested.
 *
 * Every kernel object a lab makes carries withstand's prefix and the lab's id: namespaces
 * `ws-<id>-hub` and `ws-<id>-h<index>`, nftables tables `wsf-<fault>` (inside the lab's hub namespace
 * only), htb classes inside the lab's own namespaces. Cleanup matches exactly these names, so nothing
 * of anyone else's is ever removed, and the machine's own namespace is never touched.
 */

/** A readiness probe of a lab process: a listening TCP/UDP port in its host, or a command exiting 0. */
export type LabReady = { tcp: number } | { udp: number } | { exec: string[] };

export interface LabProcessSpec {
  command: string[];
  ready?: LabReady | undefined;
  /** How long to wait for readiness, ms. */
  timeoutMs: number;
}

export interface LabHostSpec {
  name: string;
  zone: string;
  processes: LabProcessSpec[];
}

export interface LabSpec {
  name: string;
  hosts: LabHostSpec[];
}

/** One host as the running lab knows it. */
export interface LabHost {
  name: string;
  zone: string;
  /** Its network namespace. */
  ns: string;
  address: string;
  /** Its veth's peer on the lab bridge, inside the hub namespace. */
  port: string;
}

/** What a running lab hands to fault kinds (and writes to the state directory for `lab down`/faults). */
export interface LabInfo {
  id: string;
  name: string;
  hub: string;
  /** The hub's address on the bridge: the lab's DNS server. */
  dns: string;
  hosts: LabHost[];
}

/** The prefix of every namespace withstand makes; a lab's are `ws-<id>-…`. */
export const LAB_PREFIX = "ws-";
export const LAB_ID = /^[0-9a-f]{6}$/;
export const LAB_NS = /^ws-[0-9a-f]{6}-(hub|h\d{1,3})$/;
export const FAULT_TABLE = /^wsf-[0-9a-f]{8}$/;
export const HOST_NAME = /^[a-z][a-z0-9-]{0,30}$/;
export const SUBNET = "10.77.0";

export const hubName = (id: string): string => `${LAB_PREFIX}${id}-hub`;

/** Lays out a lab: namespace, address and bridge port per host (the subnet is the lab's own: hosts live in its namespaces). */
export function layout(id: string, spec: LabSpec): LabInfo {
  return {
    id,
    name: spec.name,
    hub: hubName(id),
    dns: `${SUBNET}.1`,
    hosts: spec.hosts.map((h, i) => ({
      name: h.name,
      zone: h.zone,
      ns: `${LAB_PREFIX}${id}-h${i}`,
      address: `${SUBNET}.${10 + i}`,
      port: `p${i}`,
    })),
  };
}

/** A set of lab hosts as a fault names it: a zone, a list of hosts, or one host. */
export type HostSet = { zone: string } | { hosts: string[] };

/** The hosts a set names; an unknown zone or host is an error naming what exists. */
export function resolveHosts(lab: LabInfo, set: HostSet | string): LabHost[] {
  if (typeof set === "string") return resolveHosts(lab, { hosts: [set] });
  if ("zone" in set) {
    const hosts = lab.hosts.filter((h) => h.zone === set.zone);
    if (hosts.length === 0)
      throw new Error(
        `zone ${JSON.stringify(set.zone)} is not in lab ${lab.name} (expected one of ${[...new Set(lab.hosts.map((h) => h.zone))].join(", ")})`,
      );
    return hosts;
  }
  return set.hosts.map((name) => {
    const host = lab.hosts.find((h) => h.name === name);
    if (!host)
      throw new Error(
        `host ${JSON.stringify(name)} is not in lab ${lab.name} (expected one of ${lab.hosts.map((h) => h.name).join(", ")})`,
      );
    return host;
  });
}

/** Which packets a rule matches beyond addresses. */
export interface PacketFilter {
  protocol?: "tcp" | "udp" | "icmp" | undefined;
  /** Destination ports (or source ports for replies, see `ruleLines`). */
  ports?: number[] | undefined;
}

const set = (xs: readonly string[]): string => (xs.length === 1 ? (xs[0] as string) : `{ ${xs.join(", ")} }`);

function l4(f: PacketFilter, dir: "dport" | "sport"): string {
  const parts: string[] = [];
  if (f.ports && f.ports.length > 0) {
    const proto = f.protocol === undefined ? "{ tcp, udp }" : f.protocol;
    parts.push(`meta l4proto ${proto} th ${dir} ${set(f.ports.map(String))}`);
  } else if (f.protocol !== undefined) parts.push(`meta l4proto ${f.protocol}`);
  return parts.join(" ");
}

/** One drop rule of a fault: from these addresses to those (either side may be any). */
export interface DropRule {
  from?: string[] | undefined;
  to?: string[] | undefined;
  filter: PacketFilter;
  /** Which side the ports are on: the destination's (requests) or the source's (replies). */
  portsOn: "dport" | "sport";
  /** Drop only this share of matching packets (0 < p < 100); all when absent. */
  percent?: number | undefined;
}

/** The nft rule text of one drop rule (IPv4 only: a lab's hosts have only IPv4 addresses). */
export function ruleText(r: DropRule, comment: string): string {
  const parts = ["ether type ip"];
  if (r.from) parts.push(`ip saddr ${set(r.from)}`);
  if (r.to) parts.push(`ip daddr ${set(r.to)}`);
  const match = l4(r.filter, r.portsOn);
  if (match) parts.push(match);
  // numgen draws 0..9999 per packet: the percent to a hundredth, independent per rule and per packet.
  if (r.percent !== undefined) parts.push(`numgen random mod 10000 < ${Math.round(r.percent * 100)}`);
  parts.push(`counter drop comment ${JSON.stringify(comment)}`);
  return parts.join(" ");
}

/**
 * A fault's own nftables table in the lab's hub namespace: a bridge-family table whose forward chain
 * sees every packet between two lab hosts. Each fault has its own table, so faults stack (a packet must
 * pass every table) and deleting one table leaves the others exactly as they were.
 */
export function faultTable(table: string, rules: DropRule[], comment: string): string {
  return [
    `table bridge ${table} {`,
    "  chain filter {",
    "    type filter hook forward priority 0; policy accept;",
    ...rules.map((r) => `    ${ruleText(r, comment)}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** tc rates and sizes as tc takes them: 1mbit, 500kbit, 10mbps; 32kb, 1mb, 1500b. */
export const RATE = /^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/;
export const SIZE = /^\d+(\.\d+)?(b|kb|k|mb|m)?$/;

/** A rate in bits per second (tc's units: bit = bits/s, bps = bytes/s). */
export function rateBits(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/.exec(rate);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = m[2] as string;
  const mult = unit.startsWith("k") ? 1e3 : unit.startsWith("m") ? 1e6 : unit.startsWith("g") ? 1e9 : 1;
  return n * mult * (unit.endsWith("bps") ? 8 : 1);
}

/** One shaped egress: a device in a namespace, and (optionally) the peer address its traffic is limited toward/from. */
export interface ShapedEgress {
  ns: string;
  dev: string;
  /** u32 match: the packets' destination (`dst`) or source (`src`); all packets when absent. */
  match?: { field: "dst" | "src"; address: string } | undefined;
}

/**
 * The tc argument lists of a bandwidth fault on one device: its own htb class (minor = the fault's
 * number) under a shared `1:` htb root whose default sends unclassified traffic unshaped, and a u32
 * filter at its own priority. Removing the filter and the class leaves the other faults' classes.
 */
export function shapeArgs(
  e: ShapedEgress,
  minor: number,
  rate: string,
  burst: string,
): { root: string[]; cls: string[]; filter: string[] } {
  const hex = minor.toString(16);
  const match = e.match
    ? ["match", "ip", e.match.field, `${e.match.address}/32`]
    : ["match", "u32", "0", "0"];
  return {
    root: ["-n", e.ns, "qdisc", "add", "dev", e.dev, "root", "handle", "1:", "htb", "default", "0"],
    cls: ["-n", e.ns, "class", "add", "dev", e.dev, "parent", "1:", "classid", `1:${hex}`, "htb"].concat([
      "rate",
      rate,
      "ceil",
      rate,
      "burst",
      burst,
      "cburst",
      burst,
    ]),
    filter: [
      "-n",
      e.ns,
      "filter",
      "add",
      "dev",
      e.dev,
      "parent",
      "1:",
      "protocol",
      "ip",
      "prio",
      String(minor),
    ].concat(["u32", ...match, "flowid", `1:${hex}`]),
  };
}

/**
 * A real process's network namespace, named for the time of one fault (`ip netns attach ws-p<fault> PID`),
 * so its revert needs no live pid: the name holds the namespace until the revert deletes table and name.
 */
export const PID_NS = /^ws-p[0-9a-f]{8}$/;

/**
 * Whether a process may be targeted outside a lab: its command name (/proc/PID/comm) must be listed in
 * WITHSTAND_NETNS_ALLOW (comma-separated). Nothing is allowed by default: lab faults act in labs only.
 */
export function netnsAllowed(comm: string, allow: string | undefined): boolean {
  const names = (allow ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return names.includes(comm);
}

/**
 * A fault's own table in a process's namespace: inet family, on the input and output hooks (what the
 * process receives and sends), so the process's own firewall tables are left as they are.
 */
export function hostFaultTable(
  table: string,
  rules: { input: DropRule[]; output: DropRule[] },
  comment: string,
): string {
  // Loopback inside the namespace is the process talking to itself: never part of the fault.
  const chain = (name: string, hook: string, rs: DropRule[]) => [
    `  chain ${name} {`,
    `    type filter hook ${hook} priority 0; policy accept;`,
    `    ${hook === "input" ? "iif" : "oif"} "lo" accept`,
    ...rs.map((r) => `    ${ruleText(r, comment).replace("ether type ip", "meta nfproto ipv4")}`),
    "  }",
  ];
  return [
    `table inet ${table} {`,
    ...chain("in", "input", rules.input),
    ...chain("out", "output", rules.output),
    "}",
    "",
  ].join("\n");
}
