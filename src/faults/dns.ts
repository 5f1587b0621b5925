import { randomBytes } from "node:crypto";
import { ConfigError } from "../core/errors.js";
import type { ServiceLookup } from "../core/service.js";
import { defineFaultKind } from "./define.js";
import { LEASE_MS, type Params, schema } from "./schemas/dns.js";

/** The toxics API to drive: the fault's `server`, or the experiment's in-process DNS server. */
function base(p: Params, ctx: { services: ServiceLookup; loc: string }): string {
  const server = p.server ?? ctx.services.get<{ api: string }>("dns")?.api;
  if (!server)
    throw new ConfigError(
      `${ctx.loc}: fault.server: is required unless the experiment declares dns: (an in-process DNS server) (expected the toxics API of withstand dns, e.g. http://127.0.0.1:8475)`,
    );
  return server.replace(/\/$/, "");
}
const what = (p: Params): string =>
  p.answer === "delay"
    ? `answers delayed ${(p.delay ?? 0) / 1000}s`
    : p.answer === "address"
      ? `the wrong address ${p.address}`
      : p.answer;

async function call(url: string, method: string, body?: unknown): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { "content-type": "application/json", "user-agent": "withstand" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new Error(`DNS toxics API ${url} unreachable: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`DNS toxics API ${method} ${url}: ${res.status} ${text.trim()}`);
}

/**
 * A toxic on a withstand dns server for the names a pattern matches (NXDOMAIN, SERVFAIL, no answer,
 * a delay, a wrong address, truncation). It is leased: renewed every second by the run, deleted by
 * the revert, and gone by itself 5 s after its runner dies even if nothing else runs.
 */
export const dns = defineFaultKind({
  kind: "dns",
  summary:
    "answer DNS queries for a name pattern wrongly through withstand dns (nxdomain, servfail, timeout, delay, address, truncate)",
  schema,
  describe: (p, ctx) => {
    const server = base(p, ctx);
    return {
      text: `would make withstand dns at ${server} answer ${p.names} with ${what(p)}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}`,
      targets: [{ kind: "dns", id: p.names, label: `via ${server}` }],
    };
  },
  async inject(p, ctx) {
    const server = base(p, ctx);
    const name = `${ctx.activity}-${randomBytes(3).toString("hex")}`.replace(/[^\w.-]/g, "-");
    const url = `${server}/toxics/${encodeURIComponent(name)}`;
    const record = await ctx.registry.inject(
      {
        kind: `dns:${p.answer}`,
        activity: ctx.activity,
        targets: [{ kind: "dns", id: p.names, label: `${what(p)} via ${server}` }],
        revert: { type: "http", method: "DELETE", url },
      },
      async () => {
        try {
          await call(`${server}/toxics`, "POST", {
            name,
            names: p.names,
            answer: p.answer,
            ...(p.delay !== undefined ? { delay_ms: p.delay } : {}),
            ...(p.address !== undefined ? { address: p.address } : {}),
            ...(p.ttl !== undefined ? { ttl: p.ttl } : {}),
            lease_ms: LEASE_MS,
          });
        } catch (err) {
          throw new ConfigError(`${ctx.loc}: fault: ${(err as Error).message}`, { cause: err });
        }
      },
      { renew: () => call(`${url}/lease`, "POST", { lease_ms: LEASE_MS }) },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "dns",
      server,
      toxic: name,
      names: p.names,
      answer: p.answer,
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
