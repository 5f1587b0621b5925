import { z } from "zod";
import { HOST_NAME, RATE, SIZE } from "../../core/lab.js";
import { duration } from "../schema.js";

/** The fields every lab network fault shares. */
const hostName = z.string().regex(HOST_NAME, "expected a lab host's name");
export const hostSet = z.union([
  hostName.meta({ description: "a zone" }),
  z.strictObject({ zone: hostName }),
  z.strictObject({ hosts: z.array(hostName).min(1) }),
]);
const ports = z.array(z.number().int().min(1).max(65535)).min(1).max(64);
export const common = {
  /** A lab brought up by `withstand lab up` (its name or id); default: the run's own `lab:`. */
  lab: z.string().min(1).optional(),
  protocol: z.enum(["tcp", "udp", "icmp"]).optional(),
  ports: ports.optional(),
  duration: duration.optional(),
};
const portsNeedTransport = (
  p: { protocol?: string | undefined; ports?: number[] | undefined },
  ctx: z.RefinementCtx,
) => {
  if (p.protocol === "icmp" && p.ports !== undefined)
    ctx.addIssue({
      code: "custom",
      path: ["ports"],
      message: "ICMP has no ports (expected protocol tcp or udp with ports)",
    });
};

export const partitionSchema = z
  .strictObject({
    between: z.tuple([hostSet, hostSet]),
    direction: z.enum(["both", "one-way"]).default("both"),
    ...common,
  })
  .superRefine(portsNeedTransport);

export const zoneDownSchema = z.strictObject({
  zone: hostName,
  freeze: z.boolean().default(false),
  lab: common.lab,
  duration: common.duration,
});

/** A real process's network namespace, by pid, instead of a lab host (only when WITHSTAND_NETNS_ALLOW lists it). */
const pid = z.number().int().min(2);
const hostOrPid = (p: { host?: string | undefined; pid?: number | undefined }, ctx: z.RefinementCtx) => {
  if ((p.host === undefined) === (p.pid === undefined))
    ctx.addIssue({
      code: "custom",
      message: "expected exactly one of host (a lab host) or pid (a process's own network namespace)",
    });
};

export const blackholeSchema = z
  .strictObject({ host: hostName.optional(), pid: pid.optional(), ...common })
  .superRefine(hostOrPid)
  .superRefine(portsNeedTransport);

const link = z.tuple([hostName, hostName]);
const oneTarget = (
  p: { host?: string | undefined; link?: unknown; pid?: number | undefined },
  ctx: z.RefinementCtx,
) => {
  if ([p.host, p.link, p.pid].filter((x) => x !== undefined).length !== 1)
    ctx.addIssue({
      code: "custom",
      message: `expected exactly one of host or link ([host-a, host-b])${"pid" in p ? " or pid" : ""}`,
    });
};

export const lossSchema = z
  .strictObject({
    host: hostName.optional(),
    link: link.optional(),
    pid: pid.optional(),
    percent: z.number().gt(0).lt(100),
    ...common,
  })
  .superRefine(oneTarget)
  .superRefine(portsNeedTransport);

export const bandwidthSchema = z
  .strictObject({
    host: hostName.optional(),
    link: link.optional(),
    rate: z.string().regex(RATE, "expected a tc rate, e.g. 1mbit, 500kbit, 10mbps (bps = bytes/s)"),
    burst: z.string().regex(SIZE, "expected a size, e.g. 32kb, 1500b").default("32kb"),
    lab: common.lab,
    duration: common.duration,
  })
  .superRefine(oneTarget);

export type PartitionParams = z.infer<typeof partitionSchema>;
export type ZoneDownParams = z.infer<typeof zoneDownSchema>;
export type BlackholeParams = z.infer<typeof blackholeSchema>;
export type LossParams = z.infer<typeof lossSchema>;
export type BandwidthParams = z.infer<typeof bandwidthSchema>;
