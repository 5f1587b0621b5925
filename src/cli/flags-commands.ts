import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { formatDiagnostic } from "../documents/diagnostic.js";
import { flagErrors, readFlagText } from "../documents/flag-file.js";
import { FlagFileError, FlagServer } from "../flags/server.js";
import { isLoopbackHost, MIN_TOKEN_LENGTH } from "../safety/policy.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";

const DEFAULT_SERVER = "http://127.0.0.1:8016";

/** `name=secret` or a bare secret (named "token"). */
function parseToken(spec: string, flag: string): { name: string; secret: string } {
  const m = /^([A-Za-z0-9_.-]{1,40})=(.+)$/.exec(spec);
  // NAME=SECRET with a short secret is refused, not taken for one bare secret named "token".
  if (m && (m[2] ?? "").length < MIN_TOKEN_LENGTH)
    failUsage(
      `${flag}: ${m[1]}=...: the token after "=" has ${(m[2] ?? "").length} characters (expected at least ${MIN_TOKEN_LENGTH}, e.g. \`${m[1]}=$(openssl rand -hex 16)\`)`,
    );
  const t = m ? { name: m[1] ?? "", secret: m[2] ?? "" } : { name: "token", secret: spec };
  if (t.secret.length < MIN_TOKEN_LENGTH)
    failUsage(
      `${flag}: expected at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 16\`), optionally NAME=TOKEN`,
    );
  return t;
}

export async function flagsServeCommand(
  files: string[],
  opts: {
    host: string;
    port: string;
    token?: string[];
    corsOrigin?: string[];
    name?: string;
    minPollInterval: string;
    requireTargetingKey?: boolean;
    store?: string;
  },
): Promise<ExitCode> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    failUsage(`--port ${opts.port}: expected a port from 0 to 65535`);
  const poll = Number(opts.minPollInterval);
  if (!Number.isInteger(poll) || poll < 0)
    failUsage(`--min-poll-interval ${opts.minPollInterval}: expected milliseconds`);
  const specs = opts.token ?? (process.env.WITHSTAND_FLAGS_TOKEN ? [process.env.WITHSTAND_FLAGS_TOKEN] : []);
  const tokens = specs.map((s) => parseToken(s, "--token"));
  if (!isLoopbackHost(opts.host) && tokens.length === 0)
    failUsage(`--host ${opts.host}: binding off loopback needs --token (every call must then send it)`);
  for (const o of opts.corsOrigin ?? [])
    if (!/^https?:\/\/[^/]+$/.test(o))
      failUsage(`--cors-origin ${o}: expected an origin such as http://localhost:5173`);
  const store = openStore(opts.store);
  const server = new FlagServer({
    files,
    host: opts.host,
    port,
    tokens,
    corsOrigins: opts.corsOrigin ?? [],
    name: opts.name,
    minPollingIntervalMs: poll,
    requireTargetingKey: opts.requireTargetingKey ?? false,
    read: (file, text) => {
      const r = readFlagText(file, text);
      return {
        ...(r.flags ? { flags: r.flags } : {}),
        problems: r.diagnostics.map(formatDiagnostic),
        errors: flagErrors(r.diagnostics),
      };
    },
    audit: (c) => store.recordFlagChange(c),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    await server.start();
  } catch (err) {
    await store.close();
    if (err instanceof FlagFileError) {
      for (const p of err.problems) process.stderr.write(`${p}\n`);
      return EXIT.invalid;
    }
    const code = (err as NodeJS.ErrnoException).code;
    failUsage(
      code === "EADDRINUSE"
        ? `--port ${port}: already in use (pick another, or 0 for a free one)`
        : `cannot listen on ${opts.host}:${port}: ${(err as Error).message}`,
    );
  }
  process.stdout.write(
    `withstand flags on ${server.url} (OFREP ${server.url}/ofrep/v1, ${server.flags.keys().length} flags${tokens.length === 0 ? "; read-only: no --token" : ""})\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await server.close();
  await store.close();
  return EXIT.ok;
}

function describe(s: unknown): string {
  if (typeof s !== "object" || s === null) return "none";
  const o = s as { state?: string; defaultVariant?: string | null; weights?: Record<string, number> };
  const w = o.weights
    ? ` weights ${Object.entries(o.weights)
        .map(([k, v]) => `${k}=${v}`)
        .join(",")}`
    : "";
  return `${o.state} variant ${o.defaultVariant ?? "(none)"}${w}`;
}

export async function flagsSetCommand(
  key: string,
  opts: {
    variant?: string;
    state?: string;
    weights?: string;
    reason?: string;
    server?: string;
    token?: string;
    json?: boolean;
  },
): Promise<ExitCode> {
  const server = (opts.server ?? process.env.WITHSTAND_FLAGS_SERVER ?? DEFAULT_SERVER).replace(/\/$/, "");
  if (!/^https?:\/\/[^/]+$/.test(server))
    failUsage(`--server ${server}: expected http://HOST:PORT of withstand flags serve`);
  const token = opts.token ?? process.env.WITHSTAND_FLAGS_TOKEN;
  if (!token)
    failUsage("--token: required (or WITHSTAND_FLAGS_TOKEN): changing a flag needs a token of the server");
  const state = opts.state?.toUpperCase();
  if (state !== undefined && state !== "ENABLED" && state !== "DISABLED")
    failUsage(`--state ${opts.state}: expected ENABLED or DISABLED`);
  let weights: Record<string, number> | undefined;
  if (opts.weights !== undefined) {
    weights = {};
    for (const part of opts.weights.split(",")) {
      const m = /^([^=]+)=(\d+)$/.exec(part.trim());
      if (!m)
        failUsage(
          `--weights ${opts.weights}: expected variant=weight,... with whole numbers, e.g. on=50,off=50`,
        );
      weights[m[1] ?? ""] = Number(m[2]);
    }
  }
  if (state === undefined && opts.variant === undefined && weights === undefined)
    failUsage("expected at least one of --variant, --state or --weights");
  let res: Response;
  try {
    res = await fetch(`${server}/api/flags/${encodeURIComponent(key)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        ...(state ? { state } : {}),
        ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
        ...(weights ? { weights } : {}),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    failUsage(
      `--server ${server}: unreachable (${(err as Error).message}); is withstand flags serve running?`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: string;
    before?: unknown;
    after?: unknown;
    actor?: string;
  };
  if (res.status === 401)
    failUsage(
      `flags set ${key}: the server refused the token${opts.token === undefined ? " in WITHSTAND_FLAGS_TOKEN" : " of --token"} (${body.error ?? "HTTP 401"}); expected one of the server's --token values, TOKEN or NAME=TOKEN`,
    );
  if (!res.ok) failUsage(`flags set ${key}: ${body.error ?? `HTTP ${res.status}`}`);
  if (opts.json) process.stdout.write(`${JSON.stringify(body)}\n`);
  else
    process.stdout.write(`${key}: ${describe(body.before)} -> ${describe(body.after)} (by ${body.actor})\n`);
  return EXIT.ok;
}

export async function flagsLogCommand(
  key: string | undefined,
  opts: { limit: string; serverName?: string; store?: string; json?: boolean },
): Promise<ExitCode> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) failUsage(`--limit ${opts.limit}: expected a whole number >= 1`);
  const store = openStore(opts.store);
  try {
    const changes = await store.flagChanges({ flag: key, server: opts.serverName, limit });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ changes })}\n`);
      return EXIT.ok;
    }
    if (changes.length === 0) process.stdout.write(`no flag changes${key ? ` of ${key}` : ""}\n`);
    for (const c of changes)
      process.stdout.write(
        `${c.ts}  ${c.flag}  ${c.actor}  ${describe(c.before)} -> ${describe(c.after)}${c.reason ? `  (${c.reason})` : ""}  [${c.server}]\n`,
      );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
