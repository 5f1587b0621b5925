/**
 * A replica of the demo `orders` service. Usage: orders.js PORT REPLICA_NAME
 * GET /orders returns a small JSON list; GET /health answers 200 while the replica is up.
 */
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 0);
const replica = process.argv[3] ?? "orders";
const ORDERS = Array.from({ length: 5 }, (_, i) => ({
  id: i + 1,
  item: `widget-${i + 1}`,
  quantity: (i % 3) + 1,
}));

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, replica }));
    return;
  }
  if (req.url?.startsWith("/orders")) {
    res.writeHead(200, { "content-type": "application/json", "x-replica": replica });
    res.end(JSON.stringify({ replica, orders: ORDERS }));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "not found" }));
});
server.keepAliveTimeout = 5000;
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
