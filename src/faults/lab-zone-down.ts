import { pidsOf } from "../platform/netlab/lab.js";
import { starttimeOf } from "../platform/processes.js";
import { defineFaultKind } from "./define.js";
import { addresses, hostsOf, hostTargets, injectTable, labFor } from "./lab-net.js";
import { zoneDownSchema } from "./schemas/lab-net.js";

/** A whole zone goes dark: nothing reaches its hosts or leaves them; optionally its processes freeze. */
export const labZoneDown = defineFaultKind({
  kind: "zone-down",
  summary:
    "make every host of a lab zone unreachable (and optionally SIGSTOP its processes); reverted by deleting its nftables table (and SIGCONT)",
  schema: zoneDownSchema,
  describe: (p) => ({
    text: `would cut zone ${p.zone} off${p.freeze ? " and freeze its processes" : ""}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : ""}`,
  }),
  async inject(p, ctx) {
    const lab = labFor(p, ctx);
    const hosts = hostsOf(lab, { zone: p.zone }, ctx.loc);
    const ips = addresses(hosts);
    const frozen = p.freeze
      ? (await pidsOf(hosts.map((h) => h.ns))).flatMap((pid) => {
          const starttime = starttimeOf(pid);
          return starttime === undefined ? [] : [{ pid, starttime }];
        })
      : [];
    const { table } = await injectTable(
      "zone-down",
      p,
      ctx,
      lab,
      [
        { from: ips, filter: {}, portsOn: "dport" },
        { to: ips, filter: {}, portsOn: "dport" },
      ],
      hostTargets(hosts),
      {
        // The resume list is on disk before the first SIGSTOP: whoever reverts sends SIGCONT.
        ...(frozen.length > 0 ? { revert: { resume: frozen } } : {}),
        apply: async () => {
          for (const t of frozen)
            try {
              process.kill(t.pid, "SIGSTOP");
            } catch {
              // Exited meanwhile.
            }
        },
      },
    );
    return {
      fault: "zone-down",
      lab: lab.name,
      zone: p.zone,
      table,
      hosts: hosts.map((h) => h.name),
      frozen: frozen.map((t) => t.pid),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
