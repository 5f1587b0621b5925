/** The demo's `inventory` dependency. Usage: inventory.js PORT. GET /stock answers a small JSON map. */
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  if (req.url?.startsWith("/stock")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ "widget-1": 12, "widget-2": 3, "widget-3": 40 }));
    return;
  }
  res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "application/json" });
  res.end("{}");
});
server.keepAliveTimeout = 5000;
server.listen(port, "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`listening ${typeof a === "object" && a ? a.port : port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
