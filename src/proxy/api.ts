import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type Guard, guardFor, refuse } from "../safety/policy.js";
import { ProxyCollection } from "./collection.js";
import { listenOn } from "./listen.js";
import { ProxyMetrics } from "./metrics.js";
import { ApiError } from "./toxics.js";

export const TOXIPROXY_VERSION = "2.12.0";

type Handler = (params: string[], body: unknown) => Promise<{ status: number; body?: unknown }>;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

/** Toxiproxy writes errors through Go's http.Error: JSON text with a text/plain content type. */
function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
  res.end(`${JSON.stringify({ error: message, status, ...extra })}\n`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => {
      text += d;
      if (text.length > 1 << 20) reject(new ApiError(413, "request body too large"));
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

/** The Toxiproxy HTTP API over a ProxyCollection; existing Toxiproxy clients work unchanged. */
export class ProxyApi {
  readonly collection: ProxyCollection;
  readonly metrics = new ProxyMetrics();
  private server: Server | undefined;
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  constructor() {
    this.collection = new ProxyCollection(this.metrics);
    const c = this.collection;
    const route = (method: string, path: string, handler: Handler) =>
      this.routes.push({ method, pattern: new RegExp(`^${path.replace(/\{\w+\}/g, "([^/]+)")}$`), handler });
    route("GET", "/version", async () => ({ status: 200, body: { version: TOXIPROXY_VERSION } }));
    route("POST", "/reset", async () => {
      await c.reset();
      return { status: 204 };
    });
    route("GET", "/proxies", async () => ({ status: 200, body: c.list() }));
    route("POST", "/proxies", async (_p, body) => ({ status: 201, body: await c.create(body) }));
    route("POST", "/populate", async (_p, body) => {
      const input =
        body !== null && typeof body === "object" && !Array.isArray(body) && "proxies" in body
          ? (body as { proxies: unknown }).proxies
          : body;
      const result = await c.populate(input);
      if (result.error) throw Object.assign(result.error, { proxies: result.proxies });
      return { status: 201, body: { proxies: result.proxies } };
    });
    route("GET", "/proxies/{p}", async ([p = ""]) => ({ status: 200, body: c.get(p) }));
    for (const m of ["POST", "PATCH"])
      route(m, "/proxies/{p}", async ([p = ""], body) => ({ status: 200, body: await c.update(p, body) }));
    route("DELETE", "/proxies/{p}", async ([p = ""]) => {
      await c.remove(p);
      return { status: 204 };
    });
    route("GET", "/proxies/{p}/toxics", async ([p = ""]) => ({ status: 200, body: c.listToxics(p) }));
    route("POST", "/proxies/{p}/toxics", async ([p = ""], body) => ({
      status: 200,
      body: c.addToxic(p, body),
    }));
    route("GET", "/proxies/{p}/toxics/{t}", async ([p = "", t = ""]) => ({
      status: 200,
      body: c.getToxic(p, t),
    }));
    for (const m of ["POST", "PATCH"])
      route(m, "/proxies/{p}/toxics/{t}", async ([p = "", t = ""], body) => ({
        status: 200,
        body: c.updateToxic(p, t, body),
      }));
    route("DELETE", "/proxies/{p}/toxics/{t}", async ([p = "", t = ""]) => {
      c.removeToxic(p, t);
      return { status: 204 };
    });
    // withstand extension: runners renew the lease of the toxics they created; expired ones are removed.
    route("POST", "/proxies/{p}/toxics/{t}/lease", async ([p = "", t = ""], body) => {
      const ms =
        typeof body === "object" && body !== null
          ? Number((body as { lease_ms?: unknown }).lease_ms)
          : Number.NaN;
      if (!Number.isFinite(ms) || ms <= 0)
        throw new ApiError(400, 'bad request body: expected {"lease_ms": N}');
      c.renewLease(p, t, ms);
      return { status: 200, body: { proxy: p, toxic: t, lease_ms: ms } };
    });
  }

  private guard: Guard | undefined;

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("x-toxiproxy-request-id", randomUUID());
    // Toxiproxy refuses browsers, which protects it from cross-site requests.
    if (/^Mozilla\//.test(req.headers["user-agent"] ?? "")) {
      sendError(res, 403, "User agent not allowed");
      return;
    }
    // The guard every withstand API applies: Host (DNS rebinding), Origin (CSRF), the token off loopback.
    const denied = this.guard && refuse(req, this.guard);
    if (denied) {
      sendError(res, denied.status, denied.reason);
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/metrics" && req.method === "GET") {
      res.writeHead(200, { "content-type": this.metrics.registry.contentType });
      res.end(await this.metrics.registry.metrics());
      return;
    }
    const matches = this.routes.filter((r) => r.pattern.test(url.pathname));
    const route = matches.find((r) => r.method === req.method);
    if (!route) {
      if (matches.length > 0) {
        res.writeHead(405);
        res.end();
      } else {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end("404 page not found\n");
      }
      return;
    }
    const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
    try {
      const text = await readBody(req);
      let body: unknown = null;
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw new ApiError(400, `bad request body: ${(err as Error).message}`);
        }
      } else if (req.method !== "GET" && req.method !== "DELETE" && route.pattern.source !== "^/reset$") {
        body = {};
      }
      const out = await route.handler(params, body);
      sendJson(res, out.status, out.body);
    } catch (err) {
      if (err instanceof ApiError) {
        const extra = "proxies" in err ? { proxies: (err as ApiError & { proxies: unknown }).proxies } : {};
        sendError(res, err.status, err.message, extra);
      } else sendError(res, 500, (err as Error).message);
    }
  }

  /** Listens on host:port; `token` is required off loopback (the CLI checks it is long enough). */
  async listen(host: string, port: number, token?: string): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    const address = await listenOn(server, host, port);
    const bound = Number(address.slice(address.lastIndexOf(":") + 1));
    this.guard = guardFor(host, bound, token, false);
    // Errors after listening (e.g. out of file descriptors on accept) must never crash the proxy.
    server.on("error", () => undefined);
    this.server = server;
    return address;
  }

  async close(): Promise<void> {
    await this.collection.close();
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
