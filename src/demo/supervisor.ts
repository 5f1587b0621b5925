/**
 * The demo supervisor: starts the orders replicas and the load balancer as separate processes and
 * restarts a replica that dies within about a second. Usage: supervisor.js LB_PORT P1,P2,P3 [--fragile]
 * Prints "ready" once every process answers; SIGTERM stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const lbPort = Number(process.argv[2]);
const ports = (process.argv[3] ?? "").split(",").filter(Boolean).map(Number);
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

await Promise.all(ports.map((p, i) => start("orders.js", [String(p), `orders-${i + 1}`], true)));
await start("lb.js", [String(lbPort), ports.join(","), ...(fragile ? ["--fragile"] : [])], true);
process.stdout.write("ready\n");
