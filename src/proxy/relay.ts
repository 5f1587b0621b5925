import type { Socket } from "node:net";
import {
  BodyTracker,
  connectionTokens,
  type Framing,
  FramingError,
  fieldValues,
  keepsAlive,
  MAX_HEAD_BYTES,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
  requestFraming,
  responseFraming,
} from "../core/http1.js";
import type { Version } from "../core/rollout.js";
import type { UpstreamConnection, UpstreamPool, UpstreamUser, Waiter } from "./upstream-pool.js";

/**
 * The canary router's HTTP/1.1 relay: it reads each request's head, asks the router where it goes,
 * rewrites only the head, and streams both bodies through as they are (chunked framing included), so a
 * request costs two reads and two writes, as in HAProxy. See core/http1.ts for the framing rules.
 */

/** Where a version's requests go. */
export interface RelayTarget {
  pool: UpstreamPool;
  /** The Host header sent upstream. */
  host: string;
  /** The upstream URL's path, without a trailing slash, put before each request's path. */
  basePath: string;
}

/** What the relay asks of the router for every request. */
export interface RelayRoutes {
  route(head: RequestHead): Version;
  target(version: Version): RelayTarget;
  /** A request starts on a version. */
  begin(version: Version): void;
  /** A request leaves a version without an answer, to be repeated on another. */
  abandon(version: Version, failover: boolean): void;
  /** A request on a version ended: answered (status), failed (errorClass), or both. */
  end(
    version: Version,
    startedAt: number,
    atMs: number,
    status: number | undefined,
    errorClass: string | undefined,
  ): void;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
const EMPTY = Buffer.alloc(0);
/** RFC 9110's idempotent methods: the only ones sent again after an upstream may have seen them. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
/** A body bigger than this is not kept for a repeat (a refused connection still repeats: nothing was sent). */
const REPLAY_LIMIT = 1024 * 1024;
/** Held while the upstream connects; beyond it the client is paused. */
const CONNECT_BUFFER = 1024 * 1024;
/** A response body up to this size is written with its head as one latin1 string. */
const SMALL_BODY = 8 * 1024;
/** Fields that describe one hop, or that the router sets itself. */
const REQUEST_DROP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "upgrade",
  "host",
  "x-forwarded-for",
]);
const RESPONSE_DROP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade"]);
const REASONS: Record<number, string> = {
  400: "Bad Request",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  504: "Gateway Timeout",
};

/** An answer the router writes itself (UTF-8: an upstream's error message may hold any character). */
function plainResponse(status: number, message: string, extra: string, close: boolean): Buffer {
  const body = `${message}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}${close ? "connection: close\r\n" : ""}\r\n${body}`,
  );
}

/** The request target in origin form (an absolute-form target keeps only its path and query). */
function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 || target === "*") return target;
  const scheme = target.indexOf("://");
  if (scheme === -1) return target;
  const path = target.indexOf("/", scheme + 3);
  return path === -1 ? "/" : target.slice(path);
}

function upstreamHead(
  head: RequestHead,
  hop: readonly string[],
  to: RelayTarget,
  client: string,
  upgrade: string | undefined,
): string {
  let out = `${head.method} ${to.basePath}${originForm(head.target)} HTTP/1.${head.minor}\r\nHost: ${to.host}\r\n`;
  let forwardedFor = "";
  const { fields, names } = head;
  for (let i = 0; i < names.length; i++) {
    const lower = names[i] as string;
    if (lower === "x-forwarded-for") forwardedFor += `${fields[2 * i + 1]}, `;
    else if (!REQUEST_DROP.has(lower) && (hop.length === 0 || !hop.includes(lower)))
      out += `${fields[2 * i]}: ${fields[2 * i + 1]}\r\n`;
  }
  out += `X-Forwarded-For: ${forwardedFor}${client}\r\n`;
  if (upgrade !== undefined) out += `Connection: upgrade\r\nUpgrade: ${upgrade}\r\n`;
  return `${out}\r\n`;
}

function clientHead(res: ResponseHead, hop: readonly string[], version: Version, close: boolean): string {
  const upgrade = res.status === 101;
  let out = `${res.statusLine}\r\n`;
  const { fields, names } = res;
  for (let i = 0; i < names.length; i++) {
    const lower = names[i] as string;
    if (
      (upgrade && lower === "upgrade") ||
      (!RESPONSE_DROP.has(lower) && (hop.length === 0 || !hop.includes(lower)))
    )
      out += `${fields[2 * i]}: ${fields[2 * i + 1]}\r\n`;
  }
  out += `x-withstand-version: ${version}\r\n`;
  if (upgrade) out += "connection: upgrade\r\n";
  else if (close) out += "connection: close\r\n";
  return `${out}\r\n`;
}

/** One client connection: requests are read one at a time; a pipelined one waits for the answer before. */
export class ClientConnection {
  private buf: Buffer = EMPTY;
  private exchange: Exchange | undefined;
  private closing = false;
  idleSince = performance.now();

  /** Where a tunnel's bytes go once the connection has been upgraded. */
  private tunnelSink: ((d: Buffer) => void) | undefined;

  /** `readsItself`: the socket's reads come through `onRead` (accept.ts) instead of "data" events. */
  constructor(
    readonly socket: Socket,
    private readonly routes: RelayRoutes,
    readsItself = false,
  ) {
    if (!readsItself) socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("drain", () => this.exchange?.onClientDrain());
    // A client that ends its side has gone, as Node's own server takes it: its request is cut. A tunnel
    // passes the half-close on instead.
    socket.on("end", () => {
      if (!this.exchange) this.socket.end();
      else if (!this.exchange.tunnelled) this.socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => this.exchange?.onClientClosed());
  }

  /** Lets the current exchange finish, then closes; closes at once when idle. */
  closeWhenIdle(): void {
    this.closing = true;
    if (!this.exchange) this.socket.end();
  }

  /** Called by the router's ticker: a long-idle keep-alive connection, or a response that never came. */
  expire(now: number, idleMs: number, responseMs: number): void {
    if (this.exchange) this.exchange.expire(now, responseMs);
    else if (now - this.idleSince > idleMs) this.socket.destroy();
  }

  /**
   * A read into a buffer the next read fills again. A whole request head with nothing after it, the
   * common case, is taken where it lies; anything else is copied first.
   */
  onRead(n: number, buf: Uint8Array): undefined {
    const view = Buffer.from(buf.buffer, buf.byteOffset, n);
    if (!this.exchange && !this.closing && this.buf.length === 0 && !this.tunnelSink) {
      const end = view.indexOf(CRLFCRLF);
      if (end !== -1 && end + 4 === n) {
        this.begin(view, end);
        return;
      }
    }
    this.onData(Buffer.from(view));
  }

  private onData(d: Buffer): void {
    if (this.tunnelSink) {
      this.tunnelSink(d);
      return;
    }
    const ex = this.exchange;
    if (ex?.readingBody) {
      const used = ex.onClientBody(d);
      if (used < d.length) this.hold(d.subarray(used));
      return;
    }
    if (ex || this.closing) {
      this.hold(d);
      return;
    }
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    this.next();
  }

  /** Bytes of a later request: kept, and the client paused, until the current answer is done. */
  private hold(d: Buffer): void {
    if (this.closing) return;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    this.socket.pause();
  }

  private next(): void {
    while (!this.exchange && !this.closing && this.buf.length > 0) {
      const end = this.buf.indexOf(CRLFCRLF);
      if (end === -1 || end > MAX_HEAD_BYTES) {
        if (this.buf.length > MAX_HEAD_BYTES) this.refuse(431, "request head over 64 KiB");
        return;
      }
      const buf = this.buf;
      this.buf = EMPTY;
      this.begin(buf, end);
    }
  }

  /** Starts the request whose head ends at `end`; what follows it in `buf` is its body or held. */
  private begin(buf: Buffer, end: number): void {
    let head: RequestHead;
    let framing: Framing;
    try {
      head = parseRequestHead(buf.toString("latin1", 0, end));
      framing = requestFraming(head);
    } catch (err) {
      const e = err as FramingError;
      this.refuse(e instanceof FramingError ? e.status : 400, `bad request: ${e.message}`);
      return;
    }
    if (head.method === "CONNECT") {
      this.refuse(501, "the router does not tunnel CONNECT");
      return;
    }
    const rest = buf.subarray(end + 4);
    const ex = new Exchange(this, head, framing, this.routes);
    this.exchange = ex;
    const used = ex.start(rest);
    if (used < rest.length) this.hold(rest.subarray(used));
  }

  /** From now on the client's bytes, those already held first, go to `sink` as they come. */
  tunnel(sink: (d: Buffer) => void): void {
    this.tunnelSink = sink;
    const held = this.buf;
    this.buf = EMPTY;
    if (held.length > 0) sink(held);
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** An answer the router writes itself; the connection closes after it. */
  refuse(status: number, message: string): void {
    this.closing = true;
    this.buf = EMPTY;
    this.socket.end(plainResponse(status, message, "", true));
  }

  /** The exchange is over; the connection takes the next request or closes. */
  done(keepOpen: boolean): void {
    this.exchange = undefined;
    this.idleSince = performance.now();
    if (!keepOpen || this.closing) {
      this.closing = true;
      this.buf = EMPTY;
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.next();
  }

  /** A string is a head (or a head and a small body) in latin1, one byte per character. */
  write(data: string | Uint8Array): boolean {
    return typeof data === "string" ? this.socket.write(data, "latin1") : this.socket.write(data);
  }
}

/** One request's trip: to a version's upstream, maybe once more to stable, and back to the client. */
class Exchange implements UpstreamUser, Waiter {
  private readonly startedAt = performance.now();
  private readonly atMs = Date.now();
  private readonly request: BodyTracker;
  private readonly idempotent: boolean;
  private readonly clientKeepsAlive: boolean;
  /** The request's Connection tokens: fields named there are for this hop only. */
  private readonly hop: string[];
  /** The Upgrade field of a request asking for one (WebSocket). */
  private readonly upgrade: string | undefined;
  private version: Version = "stable";
  private mayRetry = true;
  /** The body as received so far, while it may still be sent again. */
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private keptAll = true;
  private conn: UpstreamConnection | undefined;
  private waiting = false;
  private target: RelayTarget | undefined;
  private responseHead: Buffer = EMPTY;
  private response: ResponseHead | undefined;
  private responseBody: BodyTracker | undefined;
  private upstreamReusable = false;
  private closeClient = false;
  /** Whether the client has been sent anything (then the request can no longer go elsewhere). */
  private answered = false;
  private finished = false;
  private tunnel = false;
  /** The request went out on a connection that carried an earlier one (a close may have raced it). */
  private sentOnReused = false;

  constructor(
    private readonly client: ClientConnection,
    private readonly head: RequestHead,
    framing: Framing,
    private readonly routes: RelayRoutes,
  ) {
    this.request = new BodyTracker(framing);
    this.idempotent = IDEMPOTENT.has(head.method);
    this.hop = connectionTokens(head);
    this.clientKeepsAlive = keepsAlive(head.minor, this.hop);
    this.upgrade = this.hop.includes("upgrade") ? fieldValues(head, "upgrade")[0] : undefined;
  }

  get tunnelled(): boolean {
    return this.tunnel;
  }

  get readingBody(): boolean {
    return !this.request.done;
  }

  /** Routes the request; returns how many bytes of `rest` were its body. */
  start(rest: Buffer): number {
    this.version = this.routes.route(this.head);
    this.routes.begin(this.version);
    const used = rest.length > 0 && !this.request.done ? this.onClientBody(rest) : 0;
    if (!this.finished) this.connect();
    return used;
  }

  /** Takes the bytes of `d` that belong to the request body; returns how many. */
  onClientBody(d: Buffer): number {
    let n: number;
    try {
      n = this.request.take(d);
    } catch (err) {
      this.abort(400, `bad request body: ${(err as Error).message}`);
      return d.length;
    }
    if (n === 0) return 0;
    const part = n === d.length ? d : d.subarray(0, n);
    const conn = this.conn;
    if (this.keptAll) {
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    if (conn) {
      this.keepOnlyForRepeat();
      if (!conn.write(part)) this.client.socket.pause();
    } else if (this.keptBytes > CONNECT_BUFFER) this.client.socket.pause();
    return n;
  }

  /** Once sent, the body is kept only while a reset could have it sent again: idempotent and small. */
  private keepOnlyForRepeat(): void {
    if (!this.keptAll || (this.idempotent && this.keptBytes <= REPLAY_LIMIT)) return;
    this.kept = [];
    this.keptBytes = 0;
    this.keptAll = false;
  }

  private connect(fresh = false): void {
    const target = this.routes.target(this.version);
    this.target = target;
    this.waiting = true;
    target.pool.acquire(this, fresh);
  }

  onAcquired(err: NodeJS.ErrnoException | undefined, conn: UpstreamConnection | undefined): void {
    this.waiting = false;
    if (this.finished) {
      if (conn) this.target?.pool.release(conn);
      return;
    }
    if (err || !conn) this.failed(err, false);
    else this.send(conn);
  }

  private send(conn: UpstreamConnection): void {
    conn.user = this;
    this.conn = conn;
    this.sentOnReused = conn.uses > 0;
    const head = upstreamHead(
      this.head,
      this.hop,
      this.target as RelayTarget,
      this.client.socket.remoteAddress ?? "",
      this.upgrade,
    );
    const ok =
      this.kept.length === 0
        ? conn.write(head)
        : conn.write(Buffer.concat([Buffer.from(head, "latin1"), ...this.kept]));
    this.keepOnlyForRepeat();
    if (ok && this.client.socket.isPaused() && this.readingBody) this.client.socket.resume();
  }

  onUpstreamDrain(): void {
    if (this.readingBody && this.client.socket.isPaused()) this.client.socket.resume();
  }

  onClientDrain(): void {
    if (this.conn?.socket.isPaused()) this.conn.socket.resume();
  }

  onUpstreamData(d: Buffer): void {
    if (this.tunnel) {
      if (!this.client.write(Buffer.from(d))) this.conn?.socket.pause();
      return;
    }
    if (this.response) {
      this.relayBody(d);
      return;
    }
    const buf = this.responseHead.length === 0 ? d : Buffer.concat([this.responseHead, d]);
    const end = buf.indexOf(CRLFCRLF);
    if (end === -1 || end > MAX_HEAD_BYTES) {
      if (buf.length > MAX_HEAD_BYTES) this.badUpstream("a response head over 64 KiB");
      else this.responseHead = Buffer.from(buf);
      return;
    }
    this.responseHead = EMPTY;
    let res: ResponseHead;
    let framing: Framing;
    try {
      res = parseResponseHead(buf.toString("latin1", 0, end));
      framing = responseFraming(res, this.head.method);
    } catch (err) {
      this.badUpstream((err as Error).message);
      return;
    }
    const rest = buf.subarray(end + 4);
    if (res.status === 101) {
      this.startTunnel(res, rest);
      return;
    }
    if (res.status < 200) {
      // An interim answer (100 Continue, 103 Early Hints) goes on as it came; the final one follows.
      this.answered = true;
      this.client.write(Buffer.from(buf.subarray(0, end + 4)));
      if (rest.length > 0) this.onUpstreamData(rest);
      return;
    }
    this.response = res;
    this.responseBody = new BodyTracker(framing);
    const hop = connectionTokens(res);
    this.upstreamReusable = framing.kind !== "close" && keepsAlive(res.minor, hop);
    this.closeClient = !this.clientKeepsAlive || framing.kind === "close" || this.readingBody;
    const out = clientHead(res, hop, this.version, this.closeClient);
    this.answered = true;
    const n = this.bodyBytes(rest);
    if (n < 0) return;
    // A small body rides in the head's string: one write, and no Buffer to build.
    const ok = this.client.write(
      n <= SMALL_BODY
        ? out + rest.toString("latin1", 0, n)
        : Buffer.concat([Buffer.from(out, "latin1"), rest.subarray(0, n)]),
    );
    this.afterWrite(ok);
  }

  private relayBody(d: Buffer): void {
    const n = this.bodyBytes(d);
    if (n < 0) return;
    const ok = n === 0 ? true : this.client.write(Buffer.from(d.subarray(0, n)));
    this.afterWrite(ok);
  }

  /** How many bytes of `d` belong to the response body; -1 if its framing is broken (then it is cut). */
  private bodyBytes(d: Buffer): number {
    const body = this.responseBody as BodyTracker;
    try {
      const n = d.length === 0 ? 0 : body.take(d);
      // Bytes after the end of the response: the upstream is out of step, so its connection is not reused.
      if (n < d.length) this.upstreamReusable = false;
      return n;
    } catch {
      this.cut();
      return -1;
    }
  }

  private afterWrite(ok: boolean): void {
    if ((this.responseBody as BodyTracker).done) this.complete();
    else if (!ok) this.conn?.socket.pause();
  }

  private startTunnel(res: ResponseHead, rest: Buffer): void {
    const conn = this.conn;
    if (this.upgrade === undefined || !conn) {
      this.badUpstream("101 Switching Protocols to a request that asked for no upgrade");
      return;
    }
    this.tunnel = true;
    this.answered = true;
    this.client.write(clientHead(res, connectionTokens(res), this.version, false));
    if (rest.length > 0) this.client.write(Buffer.from(rest));
    this.finish(101, undefined);
    // From here both sides are one byte stream until either closes.
    const client = this.client.socket;
    conn.socket.on("drain", () => client.resume());
    client.on("drain", () => conn.socket.resume());
    client.on("end", () => conn.socket.end());
    this.client.tunnel((d) => {
      if (!conn.write(d)) client.pause();
    });
  }

  private complete(): void {
    this.finish(this.response?.status, (this.response?.status ?? 0) >= 500 ? "5xx" : undefined);
    this.releaseUpstream(this.upstreamReusable && !this.readingBody);
    this.client.done(!this.closeClient);
  }

  private releaseUpstream(reuse: boolean): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    conn.user = undefined;
    if (reuse) (this.target as RelayTarget).pool.release(conn);
    else conn.socket.destroy();
  }

  onUpstreamClosed(err: NodeJS.ErrnoException | undefined): void {
    this.conn = undefined;
    if (this.tunnel) {
      this.client.socket.end();
      return;
    }
    if (this.finished) return;
    if (this.response && this.responseBody?.framing.kind === "close") {
      this.complete();
      return;
    }
    if (!this.answered) this.failed(err, true);
    else this.cut();
  }

  /**
   * The upstream could not take the request. A refused connection never reached it, so the request goes
   * to stable, once, whatever its method: a rollback that stops the canary loses no request. A reset may
   * have reached it, so only a request safe to repeat (RFC 9110 idempotent) whose body was kept goes again.
   */
  private failed(err: NodeJS.ErrnoException | undefined, sent: boolean): void {
    // No connection (refused, unreachable): nothing was sent, so any request may go elsewhere.
    const replayable = !sent || (this.idempotent && this.keptAll);
    const to: Version | undefined =
      this.version !== "stable" || (sent && this.sentOnReused) ? "stable" : undefined;
    if (this.mayRetry && replayable && to && !this.answered) {
      this.mayRetry = false;
      this.routes.abandon(this.version, this.version !== "stable");
      this.version = to;
      this.routes.begin(to);
      this.conn = undefined;
      this.connect(true);
      return;
    }
    this.finish(undefined, sent ? "reset" : "connect");
    this.answered = true;
    this.closeClient = this.closeClient || this.readingBody || !this.clientKeepsAlive;
    const reason = err?.message ?? "the connection closed before an answer";
    this.client.write(
      plainResponse(
        502,
        `upstream ${this.version} failed: ${reason}`,
        `x-withstand-version: ${this.version}\r\n`,
        this.closeClient,
      ),
    );
    this.client.done(!this.closeClient);
  }

  private badUpstream(message: string): void {
    this.releaseUpstream(false);
    if (this.answered) {
      this.cut();
      return;
    }
    this.finish(undefined, "reset");
    this.answered = true;
    this.client.write(
      plainResponse(
        502,
        `upstream ${this.version} sent ${message}`,
        `x-withstand-version: ${this.version}\r\n`,
        true,
      ),
    );
    this.client.done(false);
  }

  /** A client request whose body turned out malformed: answered here when it still can be. */
  private abort(status: number, message: string): void {
    this.releaseUpstream(false);
    this.cancelWait();
    this.finish(undefined, "reset");
    if (this.answered) this.client.socket.destroy();
    else this.client.refuse(status, message);
  }

  /** The answer was under way when something broke: the client sees the cut, as from the upstream. */
  private cut(): void {
    this.releaseUpstream(false);
    this.finish(this.response?.status, "reset");
    this.client.socket.destroy();
  }

  onClientClosed(): void {
    if (this.tunnel) {
      this.conn?.socket.destroy();
      return;
    }
    if (this.finished) return;
    this.cancelWait();
    this.releaseUpstream(false);
    this.finish(this.response?.status, "reset");
  }

  expire(now: number, responseMs: number): void {
    if (this.finished || this.response || now - this.startedAt <= responseMs) return;
    this.releaseUpstream(false);
    this.cancelWait();
    this.finish(undefined, "timeout");
    if (this.answered) {
      this.client.socket.destroy();
      return;
    }
    this.answered = true;
    this.client.write(
      plainResponse(
        504,
        `upstream ${this.version} sent no answer in ${Math.round(responseMs / 1000)} s`,
        `x-withstand-version: ${this.version}\r\n`,
        true,
      ),
    );
    this.client.done(false);
  }

  private cancelWait(): void {
    if (this.waiting) this.target?.pool.cancel(this);
    this.waiting = false;
  }

  private finish(status: number | undefined, errorClass: string | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.routes.end(this.version, this.startedAt, this.atMs, status, errorClass);
  }
}
