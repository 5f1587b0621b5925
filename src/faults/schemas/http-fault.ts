import { z } from "zod";
import { duration, nonEmpty } from "../schema.js";
import { toxicSchema } from "../toxic-schema.js";

export const schema = z.strictObject({
  proxy: nonEmpty("the name of a proxy (from proxies: or the proxy API)"),
  toxic: toxicSchema("http-fault"),
  duration: duration.optional(),
});
