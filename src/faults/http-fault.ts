import { defineFaultKind } from "./define.js";
import { addToxic } from "./proxy-fault.js";
import { schema } from "./schemas/http-fault.js";

/** An HTTP toxic (abort with a status, or delay) on an HTTP proxy's requests; removed like the network toxics. */
export const httpFault = defineFaultKind({
  kind: "http-fault",
  summary: "fail (http_abort) or delay (http_delay) a share of the HTTP requests through a proxy",
  schema,
  describe: (f) => ({ text: `would add ${f.toxic.type} to proxy ${f.proxy}` }),
  inject: (f, ctx) => addToxic("http-fault", f.proxy, f.toxic, f.duration, ctx),
});
