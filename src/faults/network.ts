import { defineFaultKind } from "./define.js";
import { addToxic, takeDown } from "./proxy-fault.js";
import { schema } from "./schemas/network.js";

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
