import { randomInt } from "node:crypto";
import type { LabHost, ShapedEgress } from "../core/lab.js";
import { addShape } from "../platform/netlab/faults.js";
import { defineFaultKind } from "./define.js";
import { hostsOf, hostTargets, labFor } from "./lab-net.js";
import { bandwidthSchema } from "./schemas/lab-net.js";

/**
 * The egresses a bandwidth fault shapes: a host's own eth0 (what it sends) and its port on the lab
 * bridge (what it receives); for a link, only the traffic toward/from the other end.
 */
function egresses(lab: { hub: string }, a: LabHost, b?: LabHost): ShapedEgress[] {
  return [
    { ns: a.ns, dev: "eth0", ...(b ? { match: { field: "dst" as const, address: b.address } } : {}) },
    { ns: lab.hub, dev: a.port, ...(b ? { match: { field: "src" as const, address: b.address } } : {}) },
  ];
}

/** A bandwidth cap (an htb class of its own, under a shared htb root) on a host's traffic or a link's. */
export const labBandwidth = defineFaultKind({
  kind: "bandwidth",
  summary:
    "cap a lab host's or link's bandwidth (an htb class per fault, both directions); reverted by removing its class and filter",
  schema: bandwidthSchema,
  describe: (p) => ({
    text: `would cap ${p.host !== undefined ? p.host : `the link ${p.link?.join(" - ")}`} at ${p.rate} (burst ${p.burst}) each way${p.duration !== undefined ? ` for ${p.duration / 1000}s` : ""}`,
  }),
  async inject(p, ctx) {
    const lab = labFor(p, ctx);
    const hosts =
      p.host !== undefined
        ? hostsOf(lab, p.host, ctx.loc, false)
        : hostsOf(lab, { hosts: p.link as string[] }, ctx.loc);
    const [a, b] = hosts as [LabHost, LabHost | undefined];
    const shaped = egresses(lab, a, b);
    // The class minor doubles as the filter's priority; one per fault, so faults never share a class.
    const minor = randomInt(2, 0xfff0);
    const shapes = shaped.map((e) => ({ ns: e.ns, dev: e.dev, minor }));
    const record = await ctx.registry.inject(
      {
        kind: "bandwidth",
        activity: ctx.activity,
        targets: hostTargets(hosts),
        revert: { type: "lab-fault", hub: lab.hub, shapes },
      },
      async () => {
        for (const e of shaped) await addShape(e, minor, p.rate, p.burst);
      },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "bandwidth",
      lab: lab.name,
      rate: p.rate,
      burst: p.burst,
      class: `1:${minor.toString(16)}`,
      ...(p.host !== undefined ? { host: p.host } : { link: p.link }),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
