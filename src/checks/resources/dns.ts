import { lookup, Resolver } from "node:dns/promises";
import type { CheckKind } from "../../core/check-kind.js";

const DEFAULT_TIMEOUT_MS = 500;
const TYPES = ["A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT"] as const;
type RecordType = (typeof TYPES)[number];

function parse(id: string): { type: RecordType | undefined; name: string } {
  const m = /^([A-Z]+):(.+)$/.exec(id);
  if (m && (TYPES as readonly string[]).includes(m[1] ?? ""))
    return { type: m[1] as RecordType, name: m[2] ?? "" };
  return { type: undefined, name: id };
}

const dot = (name: string) => (name.endsWith(".") ? name : `${name}.`);

/** The answers as Goss prints them: names end with a dot, MX "pref host.", SRV "prio weight port host.". */
async function query(resolver: Resolver, type: RecordType, name: string): Promise<string[]> {
  switch (type) {
    case "A":
      return resolver.resolve4(name);
    case "AAAA":
      return resolver.resolve6(name);
    case "CNAME":
      return (await resolver.resolveCname(name)).map(dot);
    case "NS":
      return (await resolver.resolveNs(name)).map(dot);
    case "PTR": {
      const reversed =
        name.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(name)
          ? await resolver.reverse(name)
          : await resolver.resolvePtr(name);
      return reversed.map(dot);
    }
    case "MX":
      return (await resolver.resolveMx(name)).map((r) => `${r.priority} ${dot(r.exchange)}`);
    case "SRV":
      return (await resolver.resolveSrv(name)).map(
        (r) => `${r.priority} ${r.weight} ${r.port} ${dot(r.name)}`,
      );
    case "TXT":
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
    case "CAA":
      return (await resolver.resolveCaa(name)).map((r) => {
        const [tag, value] = Object.entries(r).find(([k]) => k !== "critical") ?? ["", ""];
        return `${r.critical} ${tag} ${value}`;
      });
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`DNS lookup timed out after ${ms}ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const dnsKind: CheckKind = {
  type: "dns",
  title: "DNS",
  settings: { resolve: "string", server: "string", timeout: "number" },
  properties: [{ name: "resolvable" }, { name: "addrs" }],
  gate: "resolvable",
  checkId(id, settings) {
    const { type } = parse(String(settings.resolve ?? id));
    if (type && type !== "A" && type !== "AAAA" && settings.server === undefined)
      return `${type} records need a server (Goss asks a DNS server directly for them)`;
    return undefined;
  },
  async observe(id, settings) {
    const { type, name } = parse(String(settings.resolve ?? id));
    const timeoutMs = typeof settings.timeout === "number" ? settings.timeout : DEFAULT_TIMEOUT_MS;
    const server = typeof settings.server === "string" ? settings.server : undefined;
    try {
      let addrs: string[];
      if (!server && !type) {
        // The system resolver, /etc/hosts included, as Go's LookupHost.
        addrs = (await withTimeout(lookup(name, { all: true }), timeoutMs)).map((a) => a.address);
      } else {
        const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
        if (server) {
          const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(server);
          const host = m?.[1] ?? server;
          const port = m?.[2] ?? "53";
          resolver.setServers([host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`]);
        }
        if (type) addrs = await withTimeout(query(resolver, type, name), timeoutMs);
        else {
          const [v4, v6] = await Promise.all([
            withTimeout(resolver.resolve4(name), timeoutMs).catch(() => []),
            withTimeout(resolver.resolve6(name), timeoutMs).catch(() => []),
          ]);
          addrs = [...v4, ...v6];
        }
      }
      return { resolvable: addrs.length > 0, addrs };
    } catch {
      return { resolvable: false, addrs: [] };
    }
  },
};
