import { randomBytes } from "node:crypto";
import { ConfigError } from "../core/errors.js";
import { defineFaultKind } from "./define.js";

/**
 * How long a flip lives on the flag server without renewal: the run renews it every second, so a
 * SIGKILLed runner's flip is undone by the server itself within this long.
 */
const LEASE_MS = 3000;

import { type Params, schema } from "./schemas/flag.js";

const what = (p: Params): string =>
  [
    p.state !== undefined ? `state ${p.state}` : "",
    p.variant !== undefined ? `variant ${p.variant}` : "",
    p.weights !== undefined
      ? `weights ${Object.entries(p.weights)
          .map(([k, v]) => `${k}=${v}`)
          .join(",")}`
      : "",
  ]
    .filter((s) => s !== "")
    .join(", ");

async function call(url: string, method: string, body: unknown, token?: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        "content-type": "application/json",
        "user-agent": "withstand",
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new Error(`flag server ${url} unreachable: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text.trim();
    try {
      detail = (JSON.parse(text) as { error?: string }).error ?? detail;
    } catch {}
    throw new Error(`flag server ${method} ${url}: ${res.status} ${detail}`);
  }
}

/**
 * Switches a feature flag on a withstand flags server (a kill switch off, a variant, weights) for
 * the duration. The flip is leased: renewed every second by the run, released (undone) by the
 * revert, and undone by the server itself 3 s after its runner stops renewing, even if nothing else runs.
 */
export const flag = defineFaultKind({
  kind: "flag",
  summary:
    "switch a feature flag on a withstand flags server (variant, state, weights); leased, undone on every exit",
  schema,
  describe: (p) => ({
    text: `would switch flag ${p.flag} on ${p.server} to ${what(p)}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}`,
    targets: [{ kind: "flag", id: p.flag, label: `via ${p.server}` }],
  }),
  async inject(p, ctx) {
    const server = p.server.replace(/\/$/, "");
    const token = p.token ?? process.env.WITHSTAND_FLAGS_TOKEN;
    if (!token)
      throw new ConfigError(
        `${ctx.loc}: fault.token: is required (or WITHSTAND_FLAGS_TOKEN in the runner's environment): changing a flag needs a token of the flag server`,
      );
    const lease = randomBytes(24).toString("base64url");
    const flagUrl = `${server}/api/flags/${encodeURIComponent(p.flag)}`;
    const leaseUrl = `${flagUrl}/leases/${lease}`;
    const record = await ctx.registry.inject(
      {
        kind: "flag",
        activity: ctx.activity,
        targets: [{ kind: "flag", id: p.flag, label: `${what(p)} via ${server}` }],
        // The lease id is the capability: DELETE undoes the flip without the token (halt, the watchdog).
        revert: { type: "http", method: "DELETE", url: leaseUrl },
      },
      async () => {
        try {
          await call(
            flagUrl,
            "PATCH",
            {
              ...(p.state !== undefined ? { state: p.state } : {}),
              ...(p.variant !== undefined ? { variant: p.variant } : {}),
              ...(p.weights !== undefined ? { weights: p.weights } : {}),
              reason: `fault ${ctx.activity}`,
              lease: { id: lease, ms: LEASE_MS },
            },
            token,
          );
        } catch (err) {
          throw new ConfigError(`${ctx.loc}: fault: ${(err as Error).message}`, { cause: err });
        }
      },
      { renew: () => call(leaseUrl, "POST", { lease_ms: LEASE_MS }) },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "flag",
      server,
      flag: p.flag,
      ...(p.state !== undefined ? { state: p.state } : {}),
      ...(p.variant !== undefined ? { variant: p.variant } : {}),
      ...(p.weights !== undefined ? { weights: p.weights } : {}),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
