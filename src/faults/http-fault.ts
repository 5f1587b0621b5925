import { z } from "zod";
import { defineFaultKind } from "./define.js";
import { addToxic } from "./proxy-fault.js";
import { duration, nonEmpty } from "./schema.js";
import { toxicSchema } from "./toxic-schema.js";

const schema = z.strictObject({
  proxy: nonEmpty("the name of a proxy (from proxies: or the proxy API)"),
  toxic: toxicSchema("http-fault"),
  duration: duration.optional(),
});

/** An HTTP toxic (abort with a status, or delay) on an HTTP proxy's requests; removed like the network toxics. */
export const httpFault = defineFaultKind({
  kind: "http-fault",
  summary: "fail (http_abort) or delay (http_delay) a share of the HTTP requests through a proxy",
  schema,
  describe: (f) => ({ text: `would add ${f.toxic.type} to proxy ${f.proxy}` }),
  inject: (f, ctx) => addToxic("http-fault", f.proxy, f.toxic, f.duration, ctx),
});
