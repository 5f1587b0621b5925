/**
 * The network lab demo's programs, one file, run inside lab hosts (`node lab-app.js ROLE [--fragile]`):
 *   inventory          answers /stock on :8080
 *   orders ZONE        answers /order on :8080 by asking inventory: the robust one asks its own zone's
 *                      inventory and, when that does not answer within 250 ms, the other zone's (and
 *                      says so in x-retried); the fragile one asks only its own zone's, and waits 1 s
 *   client N           the load balancer and its traffic: N orders spread over orders-a, -b, -c; the
 *                      robust balancer tries the next replica when one does not answer within 500 ms,
 *                      the fragile one does not. Prints {ok, failed, retried}; exits 1 when over 5% fail
 * Hosts are reached by name through the lab's DNS.
 */
import { request } from "node:http";

const [role, arg] = process.argv.slice(2);
const fragile = process.argv.includes("--fragile");

function get(host: string, path: string, timeoutMs: number): Promise<{ status: number; retried: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: 8080, path, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, retried: res.headers["x-retried"] === "1" }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`${host} did not answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

async function serve(handler: () => Promise<{ status: number; retried?: boolean }>): Promise<void> {
  const { createServer } = await import("node:http");
  createServer((_req, res) => {
    handler().then(
      (r) => {
        res.writeHead(r.status, r.retried ? { "x-retried": "1" } : {});
        res.end();
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  }).listen(8080);
}

async function main(): Promise<void> {
  if (role === "inventory") return serve(async () => ({ status: 200 }));
  if (role === "orders") {
    const zone = arg ?? "a";
    // Inventory runs in zones a and b; orders in zone c uses zone a's.
    const own = `inventory-${zone === "b" ? "b" : "a"}`;
    const other = own === "inventory-a" ? "inventory-b" : "inventory-a";
    return serve(async () => {
      if (fragile) return { status: (await get(own, "/stock", 1000)).status };
      try {
        return { status: (await get(own, "/stock", 250)).status };
      } catch {
        return { status: (await get(other, "/stock", 300)).status, retried: true };
      }
    });
  }
  if (role === "client") {
    const n = Number(arg ?? 30);
    const replicas = ["orders-a", "orders-b", "orders-c"];
    let ok = 0;
    let retried = 0;
    for (let i = 0; i < n; i++) {
      const tries = fragile
        ? [replicas[i % 3] as string]
        : [0, 1, 2].map((k) => replicas[(i + k) % 3] as string);
      for (const host of tries) {
        try {
          const r = await get(host, "/order", 500);
          if (r.status === 200) ok++;
          if (r.retried || host !== tries[0]) retried++;
          break;
        } catch {
          // The robust balancer tries the next replica.
        }
      }
    }
    const failed = n - ok;
    process.stdout.write(`${JSON.stringify({ ok, failed, retried })}\n`);
    process.exit(failed / n > 0.05 ? 1 : 0);
  }
  throw new Error(`unknown role ${role}`);
}
main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
