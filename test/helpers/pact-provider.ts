/**
 * An orders provider in its own process, for pact verification against a real server.
 * Usage: pact-provider.js --port N [--break]
 * GET /orders/:id answers only for an order a provider state created (POST /_pact/state with
 * {state: "an order exists", params: {id}, action}); the state's answer is {id}. With --break it
 * answers the total as a string and leaves out the status, as a careless refactoring would.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const broken = process.argv.includes("--break");
const orders = new Set<number>();

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (d: Buffer) => {
    body += d.toString();
  });
  req.on("end", () => {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(value));
    };
    if (req.method === "POST" && req.url === "/_pact/state") {
      const s = JSON.parse(body || "{}") as { state?: string; params?: { id?: number }; action?: string };
      const id = Number(s.params?.id ?? 7);
      if (s.action === "teardown") orders.delete(id);
      else orders.add(id);
      json(200, { id });
      return;
    }
    const m = /^\/orders\/(\d+)$/.exec(req.url ?? "");
    if (req.method === "GET" && m) {
      const id = Number(m[1]);
      if (!orders.has(id)) return json(404, { error: "no such order" });
      return json(
        200,
        broken
          ? { id, total: "12.50 EUR", items: [{ sku: "A-1", qty: 2 }] }
          : { id, total: 12.5, status: "open", items: [{ sku: "A-1", qty: 2 }] },
      );
    }
    if (req.method === "GET" && req.url === "/") return json(200, { ok: true });
    json(404, { error: "not found" });
  });
});
server.listen(Number(arg("--port") ?? 0), "127.0.0.1", () =>
  process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`),
);
process.on("SIGTERM", () => process.exit(0));
