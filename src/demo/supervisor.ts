/**
 * The demo supervisor: starts the inventory service, the orders replicas and the load balancer as
 * separate processes, and restarts a replica that dies within about a second. Each replica reaches
 * inventory through its own proxy (inventory-1, -2, -3) on a Toxiproxy-compatible API that the
 * supervisor serves, so experiments can slow one replica's dependency down.
 * Usage: supervisor.js LB_PORT P1,P2,P3 INVENTORY_PORT PROXY_API_PORT [--fragile]
 * Prints "ready" once every process answers; SIGTERM stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ProxyApi } from "../proxy/api.js";

const lbPort = Number(process.argv[2]);
const ports = (process.argv[3] ?? "").split(",").filter(Boolean).map(Number);
const inventoryPort = Number(process.argv[4]);
const proxyApiPort = Number(process.argv[5]);
const fragile = process.argv.includes("--fragile");
const RESTART_DELAY_MS = 700;
const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const children = new Set<ChildProcess>();
let stopping = false;

function start(script: string, args: string[], restart: boolean): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [here(script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
    children.add(child);
    let resolved = false;
    child.stdout?.on("data", (d: Buffer) => {
      if (!resolved && d.toString().includes("listening")) {
        resolved = true;
        resolve();
      }
    });
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (stopping) return;
      process.stderr.write(`supervisor: ${script} ${args[0]} exited (${signal ?? code}); restarting\n`);
      if (restart) setTimeout(() => void start(script, args, restart), RESTART_DELAY_MS);
    });
  });
}

function stop(): void {
  stopping = true;
  for (const c of children) c.kill("SIGKILL");
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

await start("inventory.js", [String(inventoryPort)], true);
const proxies = new ProxyApi();
await proxies.listen("127.0.0.1", proxyApiPort);
const links: string[] = [];
for (let i = 0; i < ports.length; i++) {
  const p = await proxies.collection.create({
    name: `inventory-${i + 1}`,
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${inventoryPort}`,
  });
  links.push(`http://${p.listen}`);
}
await Promise.all(
  ports.map((p, i) => start("orders.js", [String(p), `orders-${i + 1}`, links[i] ?? ""], true)),
);
await start("lb.js", [String(lbPort), ports.join(","), ...(fragile ? ["--fragile"] : [])], true);
process.stdout.write("ready\n");
