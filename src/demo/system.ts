import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** Starts and stops the demo system (supervisor, 3 orders replicas, load balancer) on free loopback ports. */
export interface DemoSystem {
  lbUrl: string;
  lbPort: number;
  replicaPorts: number[];
  /** The Toxiproxy-compatible API holding the inventory-1..3 proxies. */
  proxyApi: string;
  supervisor: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDemoSystem(
  opts: { fragile?: boolean; replicas?: number } = {},
): Promise<DemoSystem> {
  const lbPort = await freePort();
  const replicaPorts: number[] = [];
  for (let i = 0; i < (opts.replicas ?? 3); i++) replicaPorts.push(await freePort());
  const inventoryPort = await freePort();
  const proxyApiPort = await freePort();
  const script = fileURLToPath(new URL("./supervisor.js", import.meta.url));
  const supervisor = spawn(
    process.execPath,
    [
      script,
      String(lbPort),
      replicaPorts.join(","),
      String(inventoryPort),
      String(proxyApiPort),
      ...(opts.fragile ? ["--fragile"] : []),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  supervisor.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo system did not start within 15s: ${stderr}`)),
      15_000,
    );
    supervisor.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    supervisor.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo supervisor exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => supervisor.once("exit", () => resolve()));
  return {
    lbUrl: `http://127.0.0.1:${lbPort}`,
    lbPort,
    replicaPorts,
    proxyApi: `http://127.0.0.1:${proxyApiPort}`,
    supervisor,
    async stop() {
      if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill("SIGTERM");
      await exited;
    },
  };
}
