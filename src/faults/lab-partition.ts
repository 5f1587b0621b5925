import type { DropRule } from "../core/lab.js";
import { defineFaultKind } from "./define.js";
import { addresses, filterOf, hostsOf, hostTargets, injectTable, labFor } from "./lab-net.js";
import { type PartitionParams, partitionSchema } from "./schemas/lab-net.js";

const side = (s: PartitionParams["between"][number]): string =>
  typeof s === "string" ? `zone ${s}` : "zone" in s ? `zone ${s.zone}` : s.hosts.join(", ");

/** Cuts a lab in two: no packet from one host set reaches the other (or only one way). */
export const labPartition = defineFaultKind({
  kind: "partition",
  summary:
    "drop every packet between two sets of lab hosts (zones or hosts), both ways or one way; reverted by deleting its nftables table",
  schema: partitionSchema,
  describe: (p) => ({
    text: `would drop ${p.protocol ?? "all"} packets${p.ports ? ` to ports ${p.ports.join(", ")}` : ""} from ${side(p.between[0])} ${p.direction === "both" ? "to and from" : "to"} ${side(p.between[1])}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : ""}`,
  }),
  async inject(p, ctx) {
    const lab = labFor(p, ctx);
    const a = hostsOf(lab, p.between[0], ctx.loc);
    const b = hostsOf(lab, p.between[1], ctx.loc);
    const filter = filterOf(p);
    const rules: DropRule[] = [{ from: addresses(a), to: addresses(b), filter, portsOn: "dport" }];
    if (p.direction === "both")
      rules.push({ from: addresses(b), to: addresses(a), filter, portsOn: "dport" });
    const { table } = await injectTable("partition", p, ctx, lab, rules, hostTargets([...a, ...b]));
    return {
      fault: "partition",
      lab: lab.name,
      table,
      from: a.map((h) => h.name),
      to: b.map((h) => h.name),
      direction: p.direction,
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
