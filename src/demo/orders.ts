/**
 * A replica of the demo `orders` service. Usage: orders.js PORT REPLICA_NAME [INVENTORY_URL]
 * GET /orders asks the inventory service (through its proxy) for stock, with a 250 ms timeout: a slow
 * inventory makes this replica answer 503 quickly, so the load balancer can retry elsewhere.
 * GET /health answers 200 while the replica is up. PORT 0 picks a free port; without INVENTORY_URL the
 * replica answers without stock.
 */
import { Agent, createServer, request } from "node:http";

const port = Number(process.argv[2] ?? 0);
const replica = process.argv[3] ?? "orders";
const inventory = process.argv[4] ? new URL(process.argv[4]) : undefined;
const INVENTORY_TIMEOUT_MS = 250;
/** ORDERS_FAIL_RATE makes a deliberately bad version (the rollout demo's v2-bad): exactly that share of /orders answers 500. */
const failRate = Number(process.env.ORDERS_FAIL_RATE ?? 0);
const failEvery = failRate > 0 ? Math.max(1, Math.round(1 / failRate)) : 0;
let served = 0;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const ORDERS = Array.from({ length: 5 }, (_, i) => ({
  id: i + 1,
  item: `widget-${i + 1}`,
  quantity: (i % 3) + 1,
}));

function stock(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (!inventory) return resolve(null);
    const req = request(
      {
        host: inventory.hostname,
        port: Number(inventory.port),
        path: "/stock",
        agent,
        timeout: INVENTORY_TIMEOUT_MS,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => {
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`inventory did not answer within ${INVENTORY_TIMEOUT_MS}ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, replica }));
    return;
  }
  if (req.url?.startsWith("/orders")) {
    served++;
    if (failEvery > 0 && served % failEvery === 0) {
      res.writeHead(500, { "content-type": "application/json", "x-replica": replica });
      res.end(JSON.stringify({ error: "v2 bug: order lookup failed", replica }));
      return;
    }
    stock().then(
      (s) => {
        res.writeHead(200, { "content-type": "application/json", "x-replica": replica });
        res.end(JSON.stringify({ replica, orders: ORDERS, stock: s }));
      },
      (err: Error) => {
        res.writeHead(503, { "content-type": "application/json", "x-replica": replica });
        res.end(JSON.stringify({ error: err.message, replica }));
      },
    );
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "not found" }));
});
server.keepAliveTimeout = 5000;
server.listen(port, "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`listening ${typeof a === "object" && a ? a.port : port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
