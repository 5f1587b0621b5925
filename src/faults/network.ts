import { z } from "zod";
import { defineFaultKind } from "./define.js";
import { addToxic, takeDown } from "./proxy-fault.js";
import { bool, duration, nonEmpty } from "./schema.js";
import { toxicSchema } from "./toxic-schema.js";

const schema = z
  .strictObject({
    proxy: nonEmpty("the name of a proxy (from proxies: or the proxy API)"),
    toxic: toxicSchema("network").optional(),
    down: bool.optional(),
    duration: duration.optional(),
  })
  .superRefine(
    (f, ctx) => {
      if (f.toxic === undefined && f.down !== true)
        ctx.addIssue({
          code: "custom",
          message: "expected a toxic {type: latency|bandwidth|...} or down: true",
        });
    },
    { when: () => true },
  );

/** A Toxiproxy toxic on a proxy's TCP link, or the proxy taken down; removed after duration or at the end of the method. */
export const network = defineFaultKind({
  kind: "network",
  summary: "add a Toxiproxy toxic to a proxy (latency, bandwidth, timeout, ...) or take it down",
  schema,
  describe: (f) => ({
    text:
      f.down && !f.toxic
        ? `would take down proxy ${f.proxy}`
        : `would add ${f.toxic?.type} to proxy ${f.proxy}`,
  }),
  inject: (f, ctx) =>
    f.toxic ? addToxic("network", f.proxy, f.toxic, f.duration, ctx) : takeDown(f.proxy, f.duration, ctx),
});
