import { defineFaultKind } from "./define.js";
import { addresses, filterOf, hostsOf, hostTargets, injectPidTable, injectTable, labFor } from "./lab-net.js";
import { blackholeSchema } from "./schemas/lab-net.js";

/** A host (or some of its ports) silently swallows traffic: packets to it, and its answers from those ports, are dropped. */
export const labBlackhole = defineFaultKind({
  kind: "blackhole",
  summary:
    "silently drop packets to a lab host (optionally only some ports/protocol) and its replies from them; reverted by deleting its nftables table",
  schema: blackholeSchema,
  describe: (p) => ({
    text: `would blackhole ${p.protocol ?? "all"} traffic to ${p.host ?? `process ${p.pid}`}${p.ports ? ` ports ${p.ports.join(", ")}` : ""}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : ""}`,
  }),
  async inject(p, ctx) {
    if (p.pid !== undefined) {
      const filter = filterOf(p);
      const { table, ns } = await injectPidTable("blackhole", p, ctx, {
        input: [{ filter, portsOn: "dport" }],
        output: [{ filter, portsOn: "sport" }],
      });
      return { fault: "blackhole", pid: p.pid, netns: ns, table, ...(p.ports ? { ports: p.ports } : {}) };
    }
    const lab = labFor(p, ctx);
    const hosts = hostsOf(lab, p.host as string, ctx.loc, false);
    const ips = addresses(hosts);
    const filter = filterOf(p);
    const { table } = await injectTable(
      "blackhole",
      p,
      ctx,
      lab,
      [
        { to: ips, filter, portsOn: "dport" },
        { from: ips, filter, portsOn: "sport" },
      ],
      hostTargets(hosts),
    );
    return {
      fault: "blackhole",
      lab: lab.name,
      host: p.host,
      table,
      ...(p.ports ? { ports: p.ports } : {}),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
