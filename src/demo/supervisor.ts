/**
 * The demo supervisor: starts the inventory service, the orders replicas and the load balancer as
 * separate processes, and restarts a replica that dies within about a second. Each replica reaches
 * inventory through its own proxy (inventory-1, -2, -3) on a Toxiproxy-compatible API that the
 * supervisor serves, so experiments can slow one replica's dependency down.
 * Usage: supervisor.js [--fragile]. Every process binds a free port itself (no port is picked and then
 * released, so nothing can take it in between); a restart reuses the port it had.
 * Prints `ready {"lb":PORT,"replicas":[...],"proxyApi":URL}` once every process answers; SIGTERM stops
 * everything it started.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DnsApi } from "../dns/api.js";
import { DnsServer } from "../dns/server.js";
import { libfaketime } from "../platform/faketime.js";
import { ProxyApi } from "../proxy/api.js";
import { closeClock, openClock } from "../safety/clocks.js";

const replicas = 3;
const fragile = process.argv.includes("--fragile");
const RESTART_DELAY_MS = 700;
const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const children = new Set<ChildProcess>();
let stopping = false;
/** The clock the replicas run on, once it is open: stop() closes it. */
let ordersClock: string | undefined;

/** Starts a service whose first argument is its port (0 the first time) and resolves with the port it bound. */
function start(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [here(script), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    children.add(child);
    let port: number | undefined;
    child.stdout?.on("data", (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (port === undefined && m) {
        port = Number(m[1]);
        resolve(port);
      }
    });
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (stopping) return;
      process.stderr.write(
        `supervisor: ${script} ${port ?? args[0]} exited (${signal ?? code}); restarting\n`,
      );
      const again = [String(port ?? args[0]), ...args.slice(1)];
      setTimeout(() => void start(script, again, env), RESTART_DELAY_MS);
    });
  });
}

function stop(): void {
  stopping = true;
  for (const c of children) c.kill("SIGKILL");
  if (logFs) {
    try {
      execFileSync("umount", ["-l", logDir]);
    } catch {
      // Not mounted (any more).
    }
  }
  rmSync(logDir, { recursive: true, force: true });
  if (ordersClock) closeClock(ordersClock);
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// A supervisor whose parent died must not leave the demo running.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    stop();
  }
}, 500).unref();

/**
 * The orders replicas' log directory: a small tmpfs of its own when the demo may mount one (root), so
 * the disk-full scenario never fills a real disk; without it that scenario is skipped.
 */
const logDir = mkdtempSync(join(tmpdir(), "withstand-demo-logs-"));
let logFs = false;
if (process.getuid?.() === 0) {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", logDir]);
    logFs = true;
  } catch {
    // No mount here (a container without CAP_SYS_ADMIN): the disk scenario is skipped.
  }
}

// Orders reach inventory by name through withstand's DNS server, so a dns fault can take the name away.
const dns = new DnsServer(undefined);
dns.addRecord("inventory.demo", ["127.0.0.1"]);
const dnsAddress = await dns.listen("127.0.0.1", 0);
const dnsApi = `http://${await new DnsApi(dns).listen("127.0.0.1", 0)}`;

const inventoryPort = await start("inventory.js", ["0"]);
const proxies = new ProxyApi();
const proxyApi = `http://${await proxies.listen("127.0.0.1", 0)}`;
const links: string[] = [];
for (let i = 0; i < replicas; i++) {
  const p = await proxies.collection.create({
    name: `inventory-${i + 1}`,
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${inventoryPort}`,
  });
  links.push(`http://inventory.demo:${p.listen.slice(p.listen.lastIndexOf(":") + 1)}`);
}
// The replicas run on clock "orders" where libfaketime is installed, so `withstand inject clock-skew
// --clock orders --offset +2h` moves their wall clock (and nothing else's) during a demo.
const clockEnv = libfaketime() ? openClock("orders", process.env.LD_PRELOAD) : {};
if (clockEnv.WITHSTAND_CLOCK) ordersClock = "orders";
const ordersEnv = { DEMO_DNS: `127.0.0.1:${dnsAddress.port}`, DEMO_LOG_DIR: logDir, ...clockEnv };
const ports = await Promise.all(
  links.map((link, i) =>
    start("orders.js", ["0", `orders-${i + 1}`, link, ...(fragile ? ["--fragile"] : [])], ordersEnv),
  ),
);
const lb = await start("lb.js", ["0", ports.join(","), ...(fragile ? ["--fragile"] : [])]);
process.stdout.write(
  `ready ${JSON.stringify({ lb, replicas: ports, proxyApi, dnsApi, logDir: logFs ? logDir : undefined })}\n`,
);
