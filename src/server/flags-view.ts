import type { FlagChange } from "../store/flag-audit.js";
import type { Store } from "../store/store.js";

/**
 * The dashboard's Flags page: each flag server `serve` knows (`--flags URL`) with its flags as they
 * stand (state, variants, default variant, fractional weights, leases), the audit trail from the
 * store, and the guarded switch: a flip from the page goes to the flag server's own API with the
 * flag token `serve` holds, so the flag server audits it like any other.
 */
export interface FlagServerLink {
  url: string;
  token?: string | undefined;
}

export interface FlagsView {
  servers: { url: string; name?: string; flags?: unknown[]; error?: string }[];
  changes: FlagChange[];
}

const auth = (s: FlagServerLink): Record<string, string> =>
  s.token ? { authorization: `Bearer ${s.token}` } : {};

async function listing(s: FlagServerLink): Promise<FlagsView["servers"][number]> {
  try {
    const res = await fetch(`${s.url}/api/flags`, { headers: auth(s), signal: AbortSignal.timeout(3000) });
    const body = (await res.json().catch(() => ({}))) as {
      server?: string;
      flags?: unknown[];
      error?: string;
    };
    if (!res.ok) return { url: s.url, error: body.error ?? `HTTP ${res.status}` };
    return { url: s.url, ...(body.server ? { name: body.server } : {}), flags: body.flags ?? [] };
  } catch (err) {
    return { url: s.url, error: `unreachable: ${(err as Error).message}` };
  }
}

export async function flagsView(store: Store, servers: readonly FlagServerLink[]): Promise<FlagsView> {
  const [listed, changes] = await Promise.all([
    Promise.all(servers.map(listing)),
    store.flagChanges({ limit: 100 }),
  ]);
  return { servers: listed, changes };
}

/**
 * A flip from the page: `{server, flag, variant?, state?, reason}` to a known flag server. The caller
 * has passed the dashboard's token guard; the flag server checks its own token and audits the change.
 */
export async function switchFlag(
  servers: readonly FlagServerLink[],
  body: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const server = servers.find((s) => s.url === body.server);
  if (!server)
    return {
      status: 400,
      body: {
        error: `server: expected one of ${servers.map((s) => s.url).join(", ") || "(none: serve --flags URL)"}`,
      },
    };
  if (typeof body.flag !== "string" || body.flag === "")
    return { status: 400, body: { error: "flag: expected a flag key" } };
  if (body.variant === undefined && body.state === undefined)
    return { status: 400, body: { error: "expected variant or state" } };
  const reason =
    typeof body.reason === "string" && body.reason.trim() !== "" ? body.reason.trim() : "no reason given";
  if (!server.token)
    return {
      status: 403,
      body: {
        error:
          "serve has no token for this flag server (start serve with --flags-token or WITHSTAND_FLAGS_TOKEN)",
      },
    };
  try {
    const res = await fetch(`${server.url}/api/flags/${encodeURIComponent(body.flag)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...auth(server) },
      body: JSON.stringify({
        ...(body.variant !== undefined ? { variant: body.variant } : {}),
        ...(body.state !== undefined ? { state: body.state } : {}),
        reason: `dashboard: ${reason}`,
      }),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.json().catch(() => ({ error: `HTTP ${res.status}` })) };
  } catch (err) {
    return {
      status: 502,
      body: { error: `flag server ${server.url} unreachable: ${(err as Error).message}` },
    };
  }
}
