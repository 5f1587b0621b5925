/**
 * The demo load balancer. Usage: lb.js PORT REPLICA_PORTS(comma-separated) [--fragile]
 * Robust mode health-checks replicas every 200 ms, ejects failing ones and retries an idempotent GET
 * once on another replica. Fragile mode does neither: it is the weakness the demo finds.
 */
import { Agent, createServer, request } from "node:http";

const port = Number(process.argv[2] ?? 0);
const replicas = (process.argv[3] ?? "").split(",").filter(Boolean).map(Number);
const fragile = process.argv.includes("--fragile");
const HEALTH_MS = 200;
const UPSTREAM_TIMEOUT_MS = 2000;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const healthy = new Map<number, boolean>(replicas.map((p) => [p, true]));
let next = 0;

function check(replica: number): void {
  const req = request(
    { host: "127.0.0.1", port: replica, path: "/health", timeout: 150, agent: false },
    (res) => {
      res.resume();
      healthy.set(replica, res.statusCode === 200);
    },
  );
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", () => healthy.set(replica, false));
  req.end();
}
if (!fragile) setInterval(() => replicas.forEach(check), HEALTH_MS).unref();

function pick(exclude?: number): number | undefined {
  const pool = fragile ? replicas : replicas.filter((r) => healthy.get(r) && r !== exclude);
  const candidates = pool.length > 0 ? pool : replicas.filter((r) => r !== exclude);
  if (candidates.length === 0) return undefined;
  next = (next + 1) % candidates.length;
  return candidates[next];
}

type Outcome =
  | { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }
  | { error: Error };

function forward(
  replica: number,
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port: replica, method, path, headers, agent, timeout: UPSTREAM_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", (error) => resolve({ error }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("upstream timeout")));
    req.on("error", (error) => resolve({ error }));
    req.end(body);
  });
}

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, healthy: [...healthy].filter(([, ok]) => ok).map(([p]) => p) }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks);
    const method = req.method ?? "GET";
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    const first = pick();
    if (first === undefined) {
      res.writeHead(503).end();
      return;
    }
    let out = await forward(first, method, req.url ?? "/", headers, body);
    const failed = "error" in out || out.status >= 500;
    if (failed && !fragile && (method === "GET" || method === "HEAD")) {
      if ("error" in out) healthy.set(first, false);
      const second = pick(first);
      if (second !== undefined) out = await forward(second, method, req.url ?? "/", headers, body);
    }
    if ("error" in out) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `upstream ${first}: ${out.error.message}` }));
      return;
    }
    res.writeHead(out.status, {
      "content-type": String(out.headers["content-type"] ?? "application/octet-stream"),
    });
    res.end(out.body);
  });
});
server.keepAliveTimeout = 5000;
server.listen(port, "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`listening ${typeof a === "object" && a ? a.port : port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
