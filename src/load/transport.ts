import { Agent, type Dispatcher, request } from "undici";
import type { RequestTemplate } from "../core/load-plan.js";
import { type PreparedRequest, prepareRequest, RawPool, type RawResult } from "./raw-http.js";

/** Sends request template i; http:// goes over the raw client, https:// over undici. */
export interface Transport {
  send(template: number, done: (r: RawResult) => void): void;
  /** Requests waiting for a free connection. */
  readonly queued: number;
  close(): Promise<void>;
}

export function createTransport(
  templates: readonly RequestTemplate[],
  connections: number,
  timeoutMs: number,
): Transport {
  if (templates.every((t) => t.url.startsWith("http://")))
    return new RawTransport(templates, connections, timeoutMs);
  return new UndiciTransport(templates, connections, timeoutMs);
}

class RawTransport implements Transport {
  private readonly pools = new Map<string, RawPool>();
  private readonly prepared: { req: PreparedRequest; pool: RawPool }[];

  constructor(templates: readonly RequestTemplate[], connections: number, timeoutMs: number) {
    this.prepared = templates.map((t) => {
      const req = prepareRequest(t.method, t.url, t.headers, t.body);
      const key = `${req.host}:${req.port}`;
      let pool = this.pools.get(key);
      if (!pool) {
        pool = new RawPool(req.host, req.port, connections, timeoutMs);
        this.pools.set(key, pool);
      }
      return { req, pool };
    });
  }

  get queued(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.queued;
    return n;
  }

  send(template: number, done: (r: RawResult) => void): void {
    const p = this.prepared[template] ?? this.prepared[0];
    if (!p) done({ error: "other", sentAt: performance.now() });
    else p.pool.request(p.req, done);
  }

  async close(): Promise<void> {
    for (const p of this.pools.values()) p.close();
  }
}

class UndiciTransport implements Transport {
  private readonly agent: Agent;
  private inFlight = 0;

  constructor(
    private readonly templates: readonly RequestTemplate[],
    private readonly connections: number,
    private readonly timeoutMs: number,
  ) {
    this.agent = new Agent({ connections, keepAliveTimeout: 10_000 });
  }

  get queued(): number {
    return Math.max(0, this.inFlight - this.connections);
  }

  send(template: number, done: (r: RawResult) => void): void {
    void this.sendAsync(template).then(done);
  }

  private async sendAsync(template: number): Promise<RawResult> {
    const t = this.templates[template] ?? this.templates[0];
    const sentAt = performance.now();
    if (!t) return { error: "other", sentAt };
    this.inFlight++;
    try {
      const res = await request(t.url, {
        method: t.method as Dispatcher.HttpMethod,
        headers: t.headers,
        ...(t.body !== undefined ? { body: t.body } : {}),
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await res.body.dump();
      return { status: res.statusCode, sentAt };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "";
      return {
        error: code.includes("TIMEOUT")
          ? "timeout"
          : code === "ECONNREFUSED"
            ? "connect"
            : code === "ECONNRESET"
              ? "reset"
              : "other",
        sentAt,
      };
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
