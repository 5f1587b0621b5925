import type { DropRule } from "../core/lab.js";
import { defineFaultKind } from "./define.js";
import { addresses, filterOf, hostsOf, hostTargets, injectPidTable, injectTable, labFor } from "./lab-net.js";
import { lossSchema } from "./schemas/lab-net.js";

/** Random packet loss (nftables numgen, drawn per packet) on a host's traffic or on a link between two hosts. */
export const labLoss = defineFaultKind({
  kind: "loss",
  summary:
    "drop a percentage of a lab host's or link's packets at random (nftables numgen); reverted by deleting its nftables table",
  schema: lossSchema,
  describe: (p) => ({
    text: `would drop ${p.percent}% of ${p.protocol ?? "all"} packets ${p.host !== undefined ? `to and from ${p.host}` : p.pid !== undefined ? `to and from process ${p.pid}` : `between ${p.link?.join(" and ")}`}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : ""}`,
  }),
  async inject(p, ctx) {
    const filter = filterOf(p);
    if (p.pid !== undefined) {
      const { table, ns } = await injectPidTable("loss", p, ctx, {
        input: [{ filter, portsOn: "dport", percent: p.percent }],
        output: [{ filter, portsOn: "sport", percent: p.percent }],
      });
      return { fault: "loss", pid: p.pid, netns: ns, table, percent: p.percent };
    }
    const lab = labFor(p, ctx);
    let rules: DropRule[];
    let hosts: ReturnType<typeof hostsOf>;
    if (p.host !== undefined) {
      hosts = hostsOf(lab, p.host, ctx.loc, false);
      const ips = addresses(hosts);
      rules = [
        { to: ips, filter, portsOn: "dport", percent: p.percent },
        { from: ips, filter, portsOn: "sport", percent: p.percent },
      ];
    } else {
      const [a, b] = p.link as [string, string];
      hosts = hostsOf(lab, { hosts: [a, b] }, ctx.loc);
      const [ha, hb] = addresses(hosts) as [string, string];
      rules = [
        { from: [ha], to: [hb], filter, portsOn: "dport", percent: p.percent },
        { from: [hb], to: [ha], filter, portsOn: "sport", percent: p.percent },
      ];
    }
    const { table } = await injectTable("loss", p, ctx, lab, rules, hostTargets(hosts));
    return {
      fault: "loss",
      lab: lab.name,
      percent: p.percent,
      table,
      ...(p.host !== undefined ? { host: p.host } : { link: p.link }),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
