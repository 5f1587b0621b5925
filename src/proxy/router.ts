import { createServer, type Server, type Socket } from "node:net";
import { urlHostPort } from "../core/host-port.js";
import { fieldValues, type RequestHead } from "../core/http1.js";
import { pickAtRandom, pickByHash } from "../core/murmur3.js";
import { baselineWeight, VERSIONS, type Version } from "../core/rollout.js";
import { type RoutedSample, SampleRing } from "../core/sample-ring.js";
import { newWindow, recordSample, type Window } from "../core/window.js";
import { acceptWithOwnReads } from "./accept.js";
import { listenOn } from "./listen.js";
import { ClientConnection, type RelayRoutes, type RelayTarget } from "./relay.js";
import { UpstreamPool } from "./upstream-pool.js";

/** Samples older than this are dropped: no analysis looks further back than its interval. */
const RETAIN_MS = 15 * 60_000;
/** At high rates the count bounds memory too (17 MB a version); the judge thins to 5000 anyway. */
const MAX_SAMPLES = 1_000_000;
/** A keep-alive client connection idle this long is closed (Node's http server uses 5 s, nginx 75 s). */
const CLIENT_IDLE_MS = 10_000;
/** An upstream that has not begun to answer in this long gets a 504 (undici's and Node's default). */
const RESPONSE_TIMEOUT_MS = 300_000;
/** Every client read lands here; the relay copies whatever it keeps past the read. */
const CLIENT_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

class VersionStats {
  private readonly samples = new SampleRing(MAX_SAMPLES);
  window: Window;
  inflight = 0;
  total = 0;
  errors = 0;
  private drained: (() => void)[] = [];

  constructor(version: Version) {
    this.window = newWindow(Date.now(), { version });
  }

  record(atMs: number, latencyMs: number, status: number | undefined, errorClass: string | undefined): void {
    const error = errorClass ? 1 : 0;
    this.samples.push(atMs, latencyMs, error);
    this.samples.dropStartedBefore(atMs - RETAIN_MS);
    this.total++;
    this.errors += error;
    recordSample(this.window, { latencyMicros: Math.round(latencyMs * 1000), status, errorClass });
  }

  between(fromMs: number, toMs: number): RoutedSample[] {
    return this.samples.between(fromMs, toMs);
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

function relayTarget(url: URL): RelayTarget {
  const { host, port } = urlHostPort(url);
  return {
    pool: new UpstreamPool(host, port),
    host: url.host,
    basePath: url.pathname.replace(/\/$/, ""),
  };
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
export class Router implements RelayRoutes {
  private server: Server | undefined;
  private weight = 0;
  private targets: Partial<Record<Version, RelayTarget>> = {};
  private readonly clients = new Set<ClientConnection>();
  readonly stats: Record<Version, VersionStats> = {
    stable: new VersionStats("stable"),
    canary: new VersionStats("canary"),
    baseline: new VersionStats("baseline"),
  };
  private ticker: NodeJS.Timeout | undefined;
  /** Requests a canary or baseline could not take, sent to stable instead (see relay.ts). */
  failedOver = 0;
  address = "";

  constructor(private readonly opts: RouterOptions) {
    this.setUpstreams(opts.stable, opts.canary, opts.baseline);
  }

  /** Upstream URLs are known only once the versions started (a command may get a free port). */
  setUpstreams(stable: string, canary: string, baseline?: string): void {
    for (const t of Object.values(this.targets)) t.pool.close();
    this.targets = { stable: relayTarget(new URL(stable)), canary: relayTarget(new URL(canary)) };
    if (baseline) this.targets.baseline = relayTarget(new URL(baseline));
  }

  get canaryWeight(): number {
    return this.weight;
  }

  get baselineWeight(): number {
    return baselineWeight(this.weight, this.targets.baseline !== undefined);
  }

  get hasBaseline(): boolean {
    return this.targets.baseline !== undefined;
  }

  setWeight(w: number): void {
    this.weight = Math.max(0, Math.min(100, w));
  }

  async listen(host: string, port: number): Promise<string> {
    // Half-open, so the relay decides what a client's end means: the end of a tunnel's one direction,
    // or a client gone.
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.serve(socket, false);
    });
    this.server = server;
    this.address = await listenOn(server, host, port);
    acceptWithOwnReads(server, {
      buffer: () => CLIENT_READ_BUFFER,
      accept: (socket) => {
        const client = this.serve(socket, true);
        return (n, buf) => client.onRead(n, buf);
      },
    });
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
    return this.address;
  }

  private serve(socket: Socket, readsItself: boolean): ClientConnection {
    const client = new ClientConnection(socket, this, readsItself);
    this.clients.add(client);
    socket.once("close", () => this.clients.delete(client));
    return client;
  }

  private tick(): void {
    this.closeWindows();
    const now = performance.now();
    for (const c of this.clients) c.expire(now, CLIENT_IDLE_MS, RESPONSE_TIMEOUT_MS);
    for (const t of Object.values(this.targets)) t.pool.sweep(now);
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

  /** A request carrying the stickiness header or cookie is placed by its hash; others at random. */
  route(head: RequestHead): Version {
    const st = this.opts.stickiness;
    const key =
      (st?.header ? fieldValues(head, st.header.toLowerCase())[0] : undefined) ??
      (st?.cookie ? cookieValue(fieldValues(head, "cookie").join("; "), st.cookie) : undefined);
    const b = this.baselineWeight;
    return key ? pickByHash(`${this.opts.name}${key}`, this.weight, b) : pickAtRandom(this.weight, b);
  }

  target(version: Version): RelayTarget {
    return this.targets[version] ?? (this.targets.stable as RelayTarget);
  }

  begin(version: Version): void {
    this.stats[version].enter();
  }

  abandon(version: Version, failover: boolean): void {
    this.stats[version].leave();
    if (failover) this.failedOver++;
  }

  end(
    version: Version,
    startedAt: number,
    atMs: number,
    status: number | undefined,
    errorClass: string | undefined,
  ): void {
    const stats = this.stats[version];
    stats.leave();
    stats.record(atMs, performance.now() - startedAt, status, errorClass);
  }

  samples(version: Version, fromMs: number, toMs: number): RoutedSample[] {
    return this.stats[version].between(fromMs, toMs);
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.closeWindows();
    const server = this.server;
    if (server) {
      // Requests in flight finish; connections still busy after 2 s are cut.
      const cut = setTimeout(() => {
        for (const c of this.clients) c.socket.destroy();
      }, 2000);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of this.clients) c.closeWhenIdle();
      await closed;
      clearTimeout(cut);
    }
    for (const t of Object.values(this.targets)) t.pool.close();
  }
}
