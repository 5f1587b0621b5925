import { ConfigError } from "../core/errors.js";
import type { ExperimentSpec } from "../core/experiment.js";
import { DnsApi } from "../dns/api.js";
import { DnsServer, systemUpstream } from "../dns/server.js";
import { defineService } from "../engine/service.js";

type Config = NonNullable<ExperimentSpec["dns"]>;

/** What the `dns` fault kind asks for: the toxics API of the run's in-process DNS server. */
export interface DnsService {
  /** The toxics API's base URL, http://127.0.0.1:PORT. */
  api: string;
}

/** The document's in-process DNS server (`dns:`), with its toxics API on a free loopback port. */
export const dnsService = defineService<Config, DnsService>({
  name: "dns",
  provides: "the toxics API of an in-process DNS server (dns:) for dns faults",
  declared: (spec) => (spec as Partial<ExperimentSpec>).dns,
  async start(config, { file }) {
    const { listen, upstream: up } = config;
    const upstream = up === "none" ? undefined : up === "system" ? systemUpstream() : up;
    const server = new DnsServer(upstream);
    for (const [name, addresses] of Object.entries(config.records)) server.addRecord(name, addresses);
    try {
      await server.listen(listen.host, listen.port);
    } catch (err) {
      throw new ConfigError(
        `${file}: spec.dns.listen ${listen.host}:${listen.port}: ${(err as Error).message}`,
      );
    }
    const api = new DnsApi(server);
    const address = await api.listen("127.0.0.1", 0);
    let stopped = false;
    return {
      handle: { api: `http://${address}` },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await api.close();
        await server.close();
      },
    };
  },
});
