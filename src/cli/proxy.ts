import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { EXIT } from "../core/exit-codes.js";
import { ProxyApi } from "../proxy/api.js";
import { isLoopbackHost, weakToken } from "../safety/policy.js";
import { failUsage } from "./fail.js";

/** `withstand proxy`: a Toxiproxy-compatible fault proxy server; runs until Ctrl-C. */
export async function proxyCommand(flags: {
  host: string;
  port: string;
  config?: string;
  token?: string;
}): Promise<number> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    failUsage(`--port ${flags.port}: expected a TCP port 0-65535`);
  if (!isLoopbackHost(flags.host) && !flags.token)
    failUsage(`--host ${flags.host}: binding beyond loopback exposes the fault API; pass --token too`);
  const weak = weakToken(flags.token);
  if (weak) failUsage(weak);
  let config: unknown;
  if (flags.config) {
    try {
      config = parseYaml(readFileSync(flags.config, "utf8"));
    } catch (err) {
      failUsage(
        `--config ${flags.config}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message.split("\n")[0]} (expected the Toxiproxy populate format: a JSON list of proxies)`,
      );
    }
  }
  const api = new ProxyApi();
  let address: string;
  try {
    address = await api.listen(flags.host, port, flags.token);
  } catch (err) {
    failUsage(
      `--port ${port}: cannot listen on ${flags.host}:${port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      "WS_PORT_IN_USE",
    );
  }
  if (config !== undefined) {
    try {
      const result = await api.collection.populate(config);
      if (result.error) throw result.error;
      for (const p of result.proxies)
        process.stdout.write(
          `proxy ${p.name}: ${p.listen} -> ${p.upstream}${p.toxics.length ? ` with ${p.toxics.map((t) => t.name).join(", ")}` : ""}\n`,
        );
    } catch (err) {
      await api.close();
      failUsage(`--config ${flags.config}: ${(err as Error).message}`);
    }
  }
  process.stdout.write(
    `withstand proxy: Toxiproxy-compatible API on http://${address} (version ${"2.12.0"} API)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await api.close();
  return EXIT.ok;
}
