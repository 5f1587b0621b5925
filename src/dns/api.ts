import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { dnsToxicJson, parseDnsToxic } from "../core/dns-toxic.js";
import { type Guard, guardFor, refuse } from "../safety/policy.js";
import { type DnsServer, delayTooLong } from "./server.js";

/**
 * The DNS server's toxics over HTTP, in the proxy API's style: GET /toxics, POST /toxics
 * {name?, names, answer, delay_ms?, address?, ttl?, lease_ms?}, DELETE /toxics/NAME, and
 * POST /toxics/NAME/lease {lease_ms} for runners that keep a leased toxic alive.
 */
export class DnsApi {
  private server: Server | undefined;
  private guard: Guard | undefined;

  constructor(private readonly dns: DnsServer) {}

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(`${JSON.stringify(body)}\n`);
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    let text = "";
    for await (const chunk of req) {
      text += String(chunk);
      if (text.length > 65_536) throw new Error("request body too large");
    }
    return text.trim() === "" ? {} : JSON.parse(text);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const denied = this.guard && refuse(req, this.guard);
    if (denied) return this.send(res, denied.status, { error: denied.reason });
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const lease = /^\/toxics\/([^/]+)\/lease$/.exec(path);
    const one = /^\/toxics\/([^/]+)$/.exec(path);
    try {
      if (path === "/toxics" && req.method === "GET")
        return this.send(
          res,
          200,
          this.dns.listToxics().map((t) => dnsToxicJson(t)),
        );
      if (path === "/toxics" && req.method === "POST") {
        const body = await this.body(req);
        const parsed = parseDnsToxic(body, `toxic-${randomBytes(3).toString("hex")}`);
        if (!parsed.ok) return this.send(res, 400, { error: parsed.error });
        const tooLong = delayTooLong(parsed.toxic);
        if (tooLong) return this.send(res, 400, { error: tooLong });
        // parseDnsToxic refused a lease_ms that is not a positive number.
        const leaseMs = (body as { lease_ms?: number }).lease_ms;
        try {
          this.dns.addToxic(parsed.toxic, leaseMs);
        } catch (err) {
          return this.send(res, 409, { error: (err as Error).message });
        }
        return this.send(res, 200, {
          ...dnsToxicJson(parsed.toxic),
          ...(leaseMs !== undefined ? { lease_ms: leaseMs } : {}),
        });
      }
      if (lease && req.method === "POST") {
        const ms = Number(((await this.body(req)) as { lease_ms?: unknown } | undefined)?.lease_ms);
        if (!Number.isFinite(ms) || ms <= 0)
          return this.send(res, 400, { error: 'expected {"lease_ms": N}' });
        const name = decodeURIComponent(lease[1] ?? "");
        return this.dns.renewLease(name, ms)
          ? this.send(res, 200, { toxic: name, lease_ms: ms })
          : this.send(res, 404, { error: `toxic not found: ${name}` });
      }
      if (one && req.method === "DELETE") {
        const name = decodeURIComponent(one[1] ?? "");
        if (!this.dns.removeToxic(name)) return this.send(res, 404, { error: `toxic not found: ${name}` });
        res.writeHead(204);
        res.end();
        return;
      }
      if (path === "/stats" && req.method === "GET") return this.send(res, 200, this.dns.counts);
      return this.send(res, 404, { error: `no route ${req.method} ${path}` });
    } catch (err) {
      return this.send(res, 400, { error: (err as Error).message });
    }
  }

  async listen(host: string, port: number, token?: string): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    this.guard = guardFor(host, bound, token, false);
    server.on("error", () => undefined);
    this.server = server;
    return `${host.includes(":") ? `[${host}]` : host}:${bound}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}
