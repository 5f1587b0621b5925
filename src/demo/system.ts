import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Starts and stops the demo system (supervisor, inventory, 3 orders replicas, load balancer, proxies). */
export interface DemoSystem {
  lbUrl: string;
  lbPort: number;
  replicaPorts: number[];
  /** The Toxiproxy-compatible API holding the inventory-1..3 proxies. */
  proxyApi: string;
  /** The toxics API of the DNS server the orders replicas resolve inventory.demo through. */
  dnsApi: string;
  /** The replicas' log directory on a small tmpfs of its own; undefined where none could be mounted. */
  logDir?: string | undefined;
  supervisor: ChildProcess;
  stop(): Promise<void>;
}

interface Ready {
  lb: number;
  replicas: number[];
  proxyApi: string;
  dnsApi: string;
  logDir?: string;
}

export async function startDemoSystem(
  opts: { fragile?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<DemoSystem> {
  const script = fileURLToPath(new URL("./supervisor.js", import.meta.url));
  const supervisor = spawn(process.execPath, [script, ...(opts.fragile ? ["--fragile"] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
    // The orders replicas inherit it through the supervisor (DEMO_FLAGS: the flag demo's flag server).
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let stderr = "";
  supervisor.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const starting = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo system did not start within 15s: ${stderr}`)),
      15_000,
    );
    let out = "";
    supervisor.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready (\{.*\})\n/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]) as Ready);
      }
    });
    supervisor.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo supervisor exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => supervisor.once("exit", () => resolve()));
  let ready: Ready;
  try {
    ready = await starting;
  } catch (err) {
    // A system that did not come up is stopped at once: nothing the demo starts may outlive it.
    if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill("SIGTERM");
    await exited;
    throw err;
  }
  return {
    lbUrl: `http://127.0.0.1:${ready.lb}`,
    lbPort: ready.lb,
    replicaPorts: ready.replicas,
    proxyApi: ready.proxyApi,
    dnsApi: ready.dnsApi,
    logDir: ready.logDir,
    supervisor,
    async stop() {
      if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill("SIGTERM");
      await exited;
    },
  };
}
