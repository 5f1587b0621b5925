/**
 * A replica of the demo `orders` service. Usage: orders.js PORT REPLICA_NAME [INVENTORY_URL]
 * GET /orders asks the inventory service (through its proxy) for stock, with a 250 ms timeout: a slow
 * inventory makes this replica answer 503 quickly, so the load balancer can retry elsewhere.
 * GET /health answers 200 while the replica is up.
 */
import { Agent, createServer, request } from "node:http";

const port = Number(process.argv[2] ?? 0);
const replica = process.argv[3] ?? "orders";
const inventory = process.argv[4] ? new URL(process.argv[4]) : undefined;
const INVENTORY_TIMEOUT_MS = 250;
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
