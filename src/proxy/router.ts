import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type Dispatcher, Pool } from "undici";
import { pickAtRandom, pickByHash } from "../core/murmur3.js";
import { baselineWeight, VERSIONS, type Version } from "../core/rollout.js";
import { newWindow, recordSample, type Window } from "../core/window.js";
import { listenOn } from "./listen.js";

/** One routed request, kept for the judge: it compares canary and baseline request by request. */
export interface RoutedSample {
  atMs: number;
  latencyMs: number;
  error: 0 | 1;
}

const MAX_BODY = 16 * 1024 * 1024;
/** Samples older than this are dropped: no analysis looks further back than its interval. */
const RETAIN_MS = 15 * 60_000;
const MAX_SAMPLES = 1_000_000;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

/** Headers the router sets itself on the way up. */
const REPLACED = new Set(["host", "content-length", "x-forwarded-for"]);

class VersionStats {
  samples: RoutedSample[] = [];
  private head = 0;
  window: Window;
  inflight = 0;
  total = 0;
  errors = 0;
  private drained: (() => void)[] = [];

  constructor(version: Version) {
    this.window = newWindow(Date.now(), { version });
  }

  record(s: RoutedSample, status: number | undefined, errorClass: string | undefined): void {
    this.samples.push(s);
    this.total++;
    this.errors += s.error;
    recordSample(this.window, { latencyMicros: Math.round(s.latencyMs * 1000), status, errorClass });
    // Trim the front in batches so the array never grows without bound and never shifts per request.
    const cutoff = s.atMs - RETAIN_MS;
    while (this.head < this.samples.length && (this.samples[this.head]?.atMs ?? 0) < cutoff) this.head++;
    // At high rates the count bounds memory too (about 40 MB per version); the judge thins to 5000 anyway.
    if (this.samples.length - this.head > MAX_SAMPLES) this.head = this.samples.length - MAX_SAMPLES;
    if (this.head > 4096) {
      this.samples = this.samples.slice(this.head);
      this.head = 0;
    }
  }

  between(fromMs: number, toMs: number): RoutedSample[] {
    const out: RoutedSample[] = [];
    for (let i = this.head; i < this.samples.length; i++) {
      const s = this.samples[i] as RoutedSample;
      if (s.atMs >= fromMs && s.atMs < toMs) out.push(s);
    }
    return out;
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    if (this.inflight === 0) for (const d of this.drained.splice(0)) d();
  }

  /** Resolves when no request is on this version any more, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.drained.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}

export interface RouterOptions {
  name: string;
  stable: string;
  canary: string;
  /** A same-age copy of stable; it gets as much traffic as the canary (see baselineWeight). */
  baseline?: string | undefined;
  stickiness?: { header?: string; cookie?: string } | undefined;
  /** Called every second with each version's closed window. */
  onWindow?: (version: Version, w: Window) => void;
}

/** One keep-alive connection pool per version (undici: about twice node:http's client throughput). */
function pool(origin: URL): Pool {
  return new Pool(origin.origin, { connections: 256, keepAliveTimeout: 10_000 });
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    // A malformed escape is still a stable key: use it as sent rather than fail the request.
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/**
 * The canary router: an HTTP reverse proxy that splits traffic by weight. A request carrying the
 * stickiness header or cookie is assigned by flagd's murmur3 bucketing; others at random. Every request
 * is counted per version, with its latency, for the judge and the store.
 */
export class Router {
  private server: Server | undefined;
  private weight = 0;
  private pools: Partial<Record<Version, Pool>> = {};
  readonly stats: Record<Version, VersionStats> = {
    stable: new VersionStats("stable"),
    canary: new VersionStats("canary"),
    baseline: new VersionStats("baseline"),
  };
  private upstreams: Partial<Record<Version, URL>> = {};
  private ticker: NodeJS.Timeout | undefined;
  /** Requests a canary or baseline could not take, sent to stable instead (see forward). */
  failedOver = 0;
  address = "";

  constructor(private readonly opts: RouterOptions) {
    this.setUpstreams(opts.stable, opts.canary, opts.baseline);
  }

  /** Upstream URLs are known only once the versions started (a command may get a free port). */
  setUpstreams(stable: string, canary: string, baseline?: string): void {
    for (const p of Object.values(this.pools)) void p.close();
    this.upstreams = { stable: new URL(stable), canary: new URL(canary) };
    if (baseline) this.upstreams.baseline = new URL(baseline);
    this.pools = {};
    for (const [v, url] of Object.entries(this.upstreams)) this.pools[v as Version] = pool(url);
  }

  get canaryWeight(): number {
    return this.weight;
  }

  get baselineWeight(): number {
    return baselineWeight(this.weight, this.upstreams.baseline !== undefined);
  }

  get hasBaseline(): boolean {
    return this.upstreams.baseline !== undefined;
  }

  setWeight(w: number): void {
    this.weight = Math.max(0, Math.min(100, w));
  }

  async listen(host: string, port: number): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 10_000;
    this.address = await listenOn(this.server, host, port);
    this.ticker = setInterval(() => this.closeWindows(), 1000);
    this.ticker.unref();
    return this.address;
  }

  private closeWindows(): void {
    const now = Date.now();
    for (const v of VERSIONS) {
      if (v === "baseline" && !this.hasBaseline) continue;
      const s = this.stats[v];
      const w = s.window;
      w.end = now;
      s.window = newWindow(now, { version: v });
      this.opts.onWindow?.(v, w);
    }
  }

  pick(req: IncomingMessage): Version {
    const st = this.opts.stickiness;
    const raw = st?.header ? req.headers[st.header.toLowerCase()] : undefined;
    const key =
      (Array.isArray(raw) ? raw[0] : raw) ??
      (st?.cookie ? cookieValue(req.headers.cookie, st.cookie) : undefined);
    const b = this.baselineWeight;
    return key ? pickByHash(`${this.opts.name}${key}`, this.weight, b) : pickAtRandom(this.weight, b);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const atMs = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) {
        res.writeHead(413, { "content-type": "text/plain" }).end("request body over 16 MiB\n");
        return;
      }
      const version = this.pick(req);
      this.forward(req, res, Buffer.concat(chunks), version, startedAt, atMs, true);
    });
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    version: Version,
    startedAt: number,
    atMs: number,
    mayRetry: boolean,
  ): void {
    const stats = this.stats[version];
    stats.enter();
    const target = this.upstreams[version] ?? (this.upstreams.stable as URL);
    // The client's raw header list, as sent (repeats kept), less hop-by-hop ones and those set here.
    const headers: string[] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower) && !REPLACED.has(lower)) headers.push(name, raw[i + 1] as string);
    }
    headers.push("host", target.host, "x-forwarded-for", req.socket.remoteAddress ?? "");
    if (body.length > 0) headers.push("content-length", String(body.length));
    let finished = false;
    const finish = (status: number | undefined, errorClass: string | undefined) => {
      if (finished) return;
      finished = true;
      stats.leave();
      stats.record(
        { atMs, latencyMs: performance.now() - startedAt, error: errorClass ? 1 : 0 },
        status,
        errorClass,
      );
    };
    const path = `${target.pathname.replace(/\/$/, "")}${req.url ?? "/"}`;
    const fail = (err: NodeJS.ErrnoException) => {
      if (finished) return;
      // The version is stopped or not up yet: its request goes to stable instead, once, so a rollback
      // that stops the canary loses no request. A refused connection never reached it; a reset may
      // have, so only a request that is safe to repeat (RFC 9110 idempotent methods) is sent again.
      const replayable =
        err.code === "ECONNREFUSED" ||
        ((err.code === "ECONNRESET" || err.code === "UND_ERR_SOCKET") && IDEMPOTENT.has(req.method ?? "GET"));
      if (mayRetry && replayable && version !== "stable" && !res.headersSent) {
        finished = true;
        stats.leave();
        this.failedOver++;
        this.forward(req, res, body, "stable", startedAt, atMs, false);
        return;
      }
      finish(undefined, err.code === "ECONNREFUSED" ? "connect" : "reset");
      if (!res.headersSent)
        res.writeHead(502, { "content-type": "text/plain", "x-withstand-version": version });
      res.end(`upstream ${version} failed: ${err.message}\n`);
    };
    // A dispatch handler writes the answer straight into the client's response: no Readable body and
    // no pipe per request (the router's own profile put them among its largest costs).
    let status: number | undefined;
    let abortUpstream: ((err?: Error) => void) | undefined;
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        abortUpstream = abort;
      },
      onHeaders(statusCode, rawHeaders, resume) {
        if (statusCode < 200) return true;
        status = statusCode;
        // Raw name/value pairs go on as a flat list, hop-by-hop ones dropped.
        const out: string[] = [];
        for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
          const name = String(rawHeaders[i]);
          if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, String(rawHeaders[i + 1]));
        }
        out.push("x-withstand-version", version);
        res.writeHead(statusCode, out);
        // A slow client pauses the upstream instead of the router buffering the whole answer.
        res.on("drain", () => resume());
        res.on("close", () => {
          if (res.writableFinished) return;
          abortUpstream?.(new Error("the client went away"));
          finish(status, "reset");
        });
        return true;
      },
      onData(chunk) {
        return res.write(chunk);
      },
      onComplete() {
        res.end();
        finish(status, (status ?? 0) >= 500 ? "5xx" : undefined);
      },
      onError(err) {
        if (status === undefined) {
          fail(err as NodeJS.ErrnoException);
          return;
        }
        res.destroy();
        finish(status, "reset");
      },
    };
    (this.pools[version] ?? (this.pools.stable as Pool)).dispatch(
      {
        path,
        method: (req.method ?? "GET") as Dispatcher.HttpMethod,
        headers,
        body: body.length > 0 ? body : null,
      },
      handler,
    );
  }

  samples(version: Version, fromMs: number, toMs: number): RoutedSample[] {
    return this.stats[version].between(fromMs, toMs);
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.closeWindows();
    const server = this.server;
    if (server) {
      // Requests in flight finish; keep-alive connections still busy after 2s are cut.
      const cut = setTimeout(() => server.closeAllConnections(), 2000);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(cut);
    }
    await Promise.all(Object.values(this.pools).map((p) => p.close()));
  }
}
