import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { listenOn } from "./listen.js";
import { splitHostPort } from "./tcp-proxy.js";
import { type HttpMatch, matchesRequest, type ToxicSpec } from "./toxics.js";

export interface HttpCounters {
  received(direction: "upstream" | "downstream", n: number): void;
  bytes(direction: "upstream" | "downstream", n: number): void;
  connections(delta: number): void;
}

/**
 * A proxy with `"protocol": "http"`: a keep-alive reverse proxy that applies HTTP toxics per request,
 * as Envoy's fault filter does (abort with a status, or delay), streaming bodies both ways.
 */
export class HttpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  address = "";

  constructor(
    private upstream: string,
    private readonly toxics: () => readonly ToxicSpec[],
    private readonly counters: HttpCounters,
  ) {}

  async start(listen: string): Promise<string> {
    const { host, port } = splitHostPort(listen);
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      this.counters.connections(1);
      s.on("close", () => {
        this.sockets.delete(s);
        this.counters.connections(-1);
      });
    });
    this.address = await listenOn(server, host, port);
    this.server = server;
    return this.address;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  setUpstream(upstream: string): void {
    this.upstream = upstream;
  }

  toxicAdded(): void {}
  toxicUpdated(): void {}
  toxicRemoved(): void {}

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    for (const t of this.toxics()) {
      const a = t.attributes;
      if (!matchesRequest(a.match as HttpMatch | undefined, method, path, req.headers)) continue;
      if (Math.random() * 100 >= Number(a.percentage ?? 100) || Math.random() >= t.toxicity) continue;
      if (t.type === "http_abort") {
        req.resume();
        const body = JSON.stringify({ error: `aborted by withstand toxic ${t.name}` });
        res.writeHead(Number(a.status ?? 503), {
          "content-type": "application/json",
          "x-withstand-fault": t.name,
        });
        res.end(body);
        return;
      }
      if (t.type === "http_delay") await new Promise((r) => setTimeout(r, Number(a.latency ?? 0)));
    }
    const { host, port } = splitHostPort(this.upstream);
    const headers = { ...req.headers };
    delete headers.connection;
    const up = request({ host, port, method, path, headers, agent: this.agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.on("data", (d: Buffer) => {
        this.counters.received("downstream", d.length);
        this.counters.bytes("downstream", d.length);
      });
      upRes.pipe(res);
    });
    up.on("error", (err) => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `upstream ${this.upstream}: ${err.message}` }));
      }
    });
    req.on("data", (d: Buffer) => {
      this.counters.received("upstream", d.length);
      this.counters.bytes("upstream", d.length);
    });
    req.pipe(up);
  }
}
