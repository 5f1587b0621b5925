/**
 * A replica of the demo `orders` service. Usage: orders.js PORT REPLICA_NAME [INVENTORY_URL] [--fragile]
 * GET /orders asks the inventory service (through its proxy) for stock, with a 250 ms timeout: a slow
 * inventory makes this replica answer 503 quickly, so the load balancer can retry elsewhere.
 * GET /health answers 200 while the replica is up. PORT 0 picks a free port; without INVENTORY_URL the
 * replica answers without stock.
 * With DEMO_DNS (host:port) it resolves the inventory's name there, caching an answer for 1 s: the
 * robust replica keeps its last good address when resolution fails, the fragile one fails with it.
 * With DEMO_LOG_DIR it appends an access log line per request: the robust replica drops lines it cannot
 * write (a full disk), the fragile one crashes.
 * With DEMO_FLAGS (a flag server's URL) it evaluates two flags per GET /orders?user=ID over OFREP, the
 * user as the targeting key: `new-pricing` (old, new, or new-buggy: a pricing bug that answers 500) and
 * the `recommendations` kill switch (off: the answer leaves recommendations out and is still served).
 */

import { Resolver } from "node:dns/promises";
import { appendFileSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { isIP } from "node:net";
import { join } from "node:path";

const port = Number(process.argv[2] ?? 0);
const replica = process.argv[3] ?? "orders";
const inventory = process.argv[4] && !process.argv[4].startsWith("--") ? new URL(process.argv[4]) : undefined;
const fragile = process.argv.includes("--fragile");
const logDir = process.env.DEMO_LOG_DIR;
let droppedLogLines = 0;
const resolver = new Resolver({ timeout: 200, tries: 1 });
if (process.env.DEMO_DNS) resolver.setServers([process.env.DEMO_DNS]);
const DNS_CACHE_MS = 1000;
let cached: { address: string; at: number } | undefined;

/** The inventory's address: an IP as given, or its name resolved (cached for 1 s). */
async function inventoryHost(): Promise<string> {
  const host = inventory?.hostname ?? "127.0.0.1";
  if (isIP(host) || !process.env.DEMO_DNS) return host;
  if (cached && Date.now() - cached.at < DNS_CACHE_MS) return cached.address;
  try {
    const [address] = await resolver.resolve4(host);
    if (!address) throw new Error(`no address for ${host}`);
    cached = { address, at: Date.now() };
    return address;
  } catch (err) {
    // The seed lesson: a DNS cache that expires during an outage turns it into a total failure.
    if (!fragile && cached) return cached.address;
    throw new Error(`cannot resolve ${host}: ${(err as Error).message}`);
  }
}

function log(line: string): void {
  if (!logDir) return;
  if (fragile) {
    appendFileSync(join(logDir, `${replica}.log`), `${line}\n`);
    return;
  }
  try {
    appendFileSync(join(logDir, `${replica}.log`), `${line}\n`);
  } catch {
    droppedLogLines++;
  }
}
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

async function stock(): Promise<unknown> {
  if (!inventory) return null;
  const host = await inventoryHost();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
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

let testOrders = 0;
const flagServer = process.env.DEMO_FLAGS;

/** One flag's value for a user, through the flag server's OFREP API; `fallback` if it has none. */
async function flag(key: string, user: string, fallback: string): Promise<string> {
  if (!flagServer) return fallback;
  try {
    const res = await fetch(`${flagServer}/ofrep/v1/evaluate/flags/${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: user } }),
      signal: AbortSignal.timeout(500),
    });
    const body = (await res.json()) as { value?: unknown };
    return typeof body.value === "string" ? body.value : fallback;
  } catch {
    // The flag server is down: the code's default, as an OpenFeature client does.
    return fallback;
  }
}

/** What a user's order page shows besides the orders: the pricing and recommendations flags decide. */
async function flagged(user: string): Promise<{ pricing: string; recommendations?: string[] } | "bug"> {
  const [pricing, recommendations] = await Promise.all([
    flag("new-pricing", user, "old"),
    flag("recommendations", user, "on"),
  ]);
  if (pricing === "new-buggy") return "bug";
  return { pricing, ...(recommendations === "on" ? { recommendations: ["widget-7", "widget-9"] } : {}) };
}

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, replica }));
    return;
  }
  // The synthetic transaction's test orders: placed and cancelled, touching no stock (any replica can
  // cancel what another placed: the id says it is a test order).
  if (req.method === "POST" && req.url === "/orders") {
    req.resume();
    testOrders++;
    res.writeHead(201, { "content-type": "application/json", "x-replica": replica });
    res.end(JSON.stringify({ id: `test-${replica}-${testOrders}`, status: "placed" }));
    return;
  }
  const cancel = req.method === "DELETE" ? /^\/orders\/(test-[\w-]+)$/.exec(req.url ?? "") : null;
  if (req.method === "DELETE") {
    res.writeHead(cancel ? 204 : 404, { "x-replica": replica });
    res.end();
    return;
  }
  if (req.url?.startsWith("/orders")) {
    served++;
    // One JSON line of about 1 KiB per request (the request's headers and the orders served), so a full
    // file system fails the next write within a few requests rather than after filling a page.
    log(
      JSON.stringify({
        at: new Date().toISOString(),
        replica,
        url: req.url,
        headers: req.headers,
        orders: ORDERS,
        dropped: droppedLogLines,
        pad: "-".repeat(600),
      }),
    );
    if (failEvery > 0 && served % failEvery === 0) {
      res.writeHead(500, { "content-type": "application/json", "x-replica": replica });
      res.end(JSON.stringify({ error: "v2 bug: order lookup failed", replica }));
      return;
    }
    const user = new URL(req.url, "http://orders").searchParams.get("user") ?? "anonymous";
    Promise.all([stock(), flagged(user)]).then(
      ([s, f]) => {
        if (f === "bug") {
          res.writeHead(500, { "content-type": "application/json", "x-replica": replica });
          res.end(JSON.stringify({ error: "new pricing bug: price is NaN", replica }));
          return;
        }
        res.writeHead(200, { "content-type": "application/json", "x-replica": replica });
        res.end(JSON.stringify({ replica, orders: ORDERS, stock: s, ...(flagServer ? f : {}) }));
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
