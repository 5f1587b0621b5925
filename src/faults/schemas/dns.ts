import { z } from "zod";
import { DNS_ANSWERS, ipVersion } from "../../core/dns-toxic.js";
import { duration, nonEmpty } from "../schema.js";

/** How long a toxic lives on the DNS server without renewal: a dead runner's toxics expire by themselves. */
export const LEASE_MS = 5000;

export const schema = z
  .strictObject({
    /** Without it, the DNS server the experiment declares (`dns:`) and starts in-process. */
    server: nonEmpty("the toxics API of a withstand dns server, e.g. http://127.0.0.1:8475").optional(),
    names: nonEmpty('a name pattern, e.g. "inventory.*"'),
    answer: z.enum(DNS_ANSWERS),
    delay: duration.optional(),
    address: z.string().optional(),
    ttl: z.number().int().min(0).optional(),
    duration: duration.optional(),
  })
  .superRefine(
    (p, ctx) => {
      if (p.server !== undefined && !/^https?:\/\//.test(p.server))
        ctx.addIssue({
          code: "custom",
          path: ["server"],
          message: `got ${JSON.stringify(p.server)} (expected http://HOST:PORT of withstand dns's API)`,
        });
      if (p.answer === "delay" && p.delay === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["delay"],
          message: 'is required for answer: delay (e.g. "2s")',
        });
      if (p.answer === "address" && (p.address === undefined || ipVersion(p.address) === 0))
        ctx.addIssue({
          code: "custom",
          path: ["address"],
          message: "is required for answer: address (an IPv4 or IPv6 address)",
        });
    },
    { when: () => true },
  );
export type Params = z.infer<typeof schema>;
