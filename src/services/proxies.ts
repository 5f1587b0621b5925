import { ConfigError } from "../core/errors.js";
import type { ExperimentSpec } from "../core/experiment.js";
import type { ProxyDriver } from "../core/proxy-driver.js";
import { substitute } from "../core/substitute.js";
import { defineService } from "../engine/service.js";
import { ApiProxyDriver, LocalProxyDriver } from "../faults/proxy-drivers.js";
import { ProxyCollection } from "../proxy/collection.js";

type Config = { api: string } | { populate: unknown };

/**
 * The fault proxies network and http-fault kinds drive: in-process proxies from the document's
 * `proxies:` (Toxiproxy's populate format), or a running proxy API named by `proxy-api:`.
 */
export const proxiesService = defineService<Config, ProxyDriver>({
  name: "proxies",
  provides: "a ProxyDriver over in-process proxies (proxies:) or a proxy API (proxy-api:)",
  declared(spec, scopes) {
    const s = spec as Partial<ExperimentSpec>;
    if (s.proxyApi !== undefined) return { api: String(substitute(s.proxyApi, scopes)) };
    if (s.proxies && s.proxies.length > 0) return { populate: substitute(s.proxies, scopes) };
    return undefined;
  },
  async start(config, { file }) {
    if ("api" in config) {
      if (!/^https?:\/\//.test(config.api))
        throw new ConfigError(
          `${file}: spec.proxy-api: got ${JSON.stringify(config.api)} (expected an http:// URL of a proxy API)`,
        );
      return { handle: new ApiProxyDriver(config.api.replace(/\/$/, "")), stop: async () => undefined };
    }
    const collection = new ProxyCollection();
    const result = await collection.populate(config.populate);
    if (result.error) {
      await collection.close();
      throw new ConfigError(`${file}: spec.proxies: ${result.error.message}`);
    }
    let stopped = false;
    return {
      handle: new LocalProxyDriver(collection),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await collection.close();
      },
    };
  },
});
