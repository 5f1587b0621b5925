import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFile } from "../documents/openslo.js";
import { isLoopbackHost, weakToken } from "../safety/policy.js";
import { startServer } from "../server/server.js";
import { openStore } from "../store/open.js";
import { describeStoreLocation } from "../store/url.js";
import { failUsage } from "./fail.js";

export async function serveCommand(flags: {
  port?: string;
  host?: string;
  token?: string;
  slo?: string[];
  store?: string;
  monitor?: string[];
  monitorToken?: string;
  flags?: string[];
  flagsToken?: string;
}): Promise<ExitCode> {
  const host = flags.host ?? "127.0.0.1";
  const port = flags.port === undefined ? 7070 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    failUsage(`--port ${flags.port}: expected a port from 0 to 65535`);
  if (!isLoopbackHost(host) && !flags.token)
    failUsage(`--host ${host}: binding off loopback needs --token (every API call must then send it)`);
  const weak = weakToken(flags.token);
  if (weak) failUsage(weak);
  for (const m of flags.monitor ?? [])
    if (!/^https?:\/\/[^/]+\/?$/.test(m))
      failUsage(`--monitor ${m}: expected a monitor's base URL such as http://127.0.0.1:8099`);
  for (const f of flags.flags ?? [])
    if (!/^https?:\/\/[^/]+\/?$/.test(f))
      failUsage(`--flags ${f}: expected a flag server's base URL such as http://127.0.0.1:8016`);
  // A missing or invalid --slo file is a usage error now, not an empty SLO page later.
  for (const file of flags.slo ?? []) {
    const loaded = await loadOpenSloFile(file);
    if (hasErrors(loaded.diagnostics)) {
      for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      failUsage(`--slo ${file}: not a valid OpenSLO file (see above)`);
    }
  }
  const store = openStore(flags.store);
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({
      host,
      port,
      token: flags.token,
      sloFiles: flags.slo ?? [],
      store,
      monitors: (flags.monitor ?? []).map((url) => ({
        url: url.replace(/\/$/, ""),
        token: flags.monitorToken,
      })),
      flagServers: (flags.flags ?? []).map((url) => ({
        url: url.replace(/\/$/, ""),
        token: flags.flagsToken ?? process.env.WITHSTAND_FLAGS_TOKEN,
      })),
    });
  } catch (err) {
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    failUsage(
      code === "EADDRINUSE"
        ? `--port ${port}: already in use (pick another, or 0 for a free one)`
        : `cannot listen on ${host}:${port}: ${(err as Error).message}`,
      "WS_PORT_IN_USE",
    );
  }
  process.stdout.write(
    `withstand dashboard on ${running.url}/  (store ${describeStoreLocation(flags.store)})\n`,
  );
  if (!isLoopbackHost(host)) process.stdout.write(`  open ${running.url}/#token=<your token>\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await running.close();
  await store.close();
  return EXIT.ok;
}
