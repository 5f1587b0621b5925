import { isIP } from "node:net";
import { EXIT } from "../core/exit-codes.js";
import { type HostPort, parseHostPort } from "../core/host-port.js";
import { DnsApi } from "../dns/api.js";
import { DnsServer, systemUpstream, type Upstream } from "../dns/server.js";
import { isLoopbackHost, weakToken } from "../safety/policy.js";
import { failUsage } from "./fail.js";

export interface DnsFlags {
  listen: string;
  api: string;
  upstream?: string;
  record?: string[];
  token?: string;
}

/** host:port, [v6]:port; port 0 picks a free one. */
function hostPort(flag: string, text: string, defaultPort?: number): HostPort {
  return (
    parseHostPort(text, defaultPort) ?? failUsage(`${flag} ${text}: expected HOST:PORT, e.g. 127.0.0.1:5353`)
  );
}

/**
 * `withstand dns`: a DNS server (UDP and TCP) that forwards to the real resolver and applies toxics
 * per name pattern, driven by the clock-free HTTP API the dns fault kind uses.
 */
export async function dnsCommand(flags: DnsFlags): Promise<number> {
  const listen = hostPort("--listen", flags.listen);
  const api = hostPort("--api", flags.api);
  const weak = weakToken(flags.token);
  if (weak) failUsage(weak);
  if (!isLoopbackHost(api.host) && !flags.token)
    failUsage(`--api ${flags.api}: off loopback the toxics API needs --token (at least 16 characters)`);
  let upstream: Upstream | undefined;
  if (flags.upstream === "none") upstream = undefined;
  else if (flags.upstream) upstream = hostPort("--upstream", flags.upstream, 53);
  else upstream = systemUpstream();
  const server = new DnsServer(upstream);
  for (const r of flags.record ?? []) {
    const [name, list] = r.split("=");
    const addresses = (list ?? "").split(",").filter(Boolean);
    if (!name || addresses.length === 0 || addresses.some((a) => isIP(a) === 0))
      failUsage(`--record ${r}: expected NAME=ADDRESS[,ADDRESS], e.g. inventory.demo=127.0.0.1`);
    server.addRecord(name, addresses);
  }
  let bound: { host: string; port: number };
  try {
    bound = await server.listen(listen.host, listen.port);
  } catch (err) {
    failUsage(`--listen ${flags.listen}: ${(err as Error).message}`, "WS_PORT_IN_USE");
  }
  const http = new DnsApi(server);
  let apiAddress: string;
  try {
    apiAddress = await http.listen(api.host, api.port, flags.token);
  } catch (err) {
    await server.close();
    failUsage(`--api ${flags.api}: ${(err as Error).message}`, "WS_PORT_IN_USE");
  }
  // Off loopback with forwarding, anyone who reaches the port can resolve through us (and reflect).
  if (upstream && !isLoopbackHost(listen.host))
    process.stderr.write(
      `withstand dns: warning: --listen ${flags.listen} forwards to ${upstream.host}:${upstream.port} for anyone who reaches it: an open resolver (listen on 127.0.0.1, firewall the port, or pass --upstream none)\n`,
    );
  process.stdout.write(
    `withstand dns on udp+tcp ${bound.host}:${bound.port}, toxics API http://${apiAddress}, upstream ${upstream ? `${upstream.host}:${upstream.port}` : "none"}\n`,
  );
  await new Promise<void>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => resolve());
  });
  await http.close();
  await server.close();
  return EXIT.ok;
}
