import { connect, type Socket } from "node:net";
import { urlHostPort } from "../core/host-port.js";
import { BodyTracker, type Framing } from "../core/http1.js";

/**
 * A lean HTTP/1.1 keep-alive client for load generation: requests are pre-serialised once, and
 * responses are parsed just enough to find their end (Content-Length, chunked, or close).
 * It is what lets one Node.js thread keep up with wrk; probes use undici instead.
 */
export interface RawResponse {
  status: number;
  /** When the request was written to the socket (performance.now()). */
  sentAt: number;
}

export type RawResult = RawResponse | { error: string; sentAt: number };

export interface PreparedRequest {
  host: string;
  port: number;
  bytes: Buffer;
  head: boolean;
}

export function prepareRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): PreparedRequest {
  const u = new URL(url);
  if (u.protocol !== "http:") throw new Error(`raw client handles http:// only, got ${u.protocol}`);
  const bodyBytes = body === undefined ? undefined : Buffer.from(body);
  const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`];
  const names = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (!names.has("user-agent")) lines.push("User-Agent: withstand");
  if (bodyBytes) lines.push(`Content-Length: ${bodyBytes.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return {
    ...urlHostPort(u),
    bytes: bodyBytes ? Buffer.concat([head, bodyBytes]) : head,
    head: method === "HEAD",
  };
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** Per connection: large enough that a typical response arrives in one read. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Whether the bytes at `at` spell `name` (lower case) in any letter case. */
function startsWithName(b: Uint8Array, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (((b[at + k] ?? 0) | 0x20) !== name.charCodeAt(k)) return false;
  return true;
}

/** The decimal number after optional spaces at `at`. */
function digitsAt(b: Uint8Array, at: number): number {
  let i = at;
  while (b[i] === 32 || b[i] === 9) i++;
  let n = 0;
  for (let c = b[i]; c !== undefined && c >= 48 && c <= 57; c = b[++i]) n = n * 10 + c - 48;
  return n;
}

/** Whether the line from `at` (to its CR, within `end`) holds `word` (lower case) in any letter case. */
function lineHas(b: Uint8Array, at: number, end: number, word: string): boolean {
  for (let i = at; i < end && b[i] !== 13; i++) if (startsWithName(b, i, word)) return true;
  return false;
}

/** One keep-alive connection carrying one request at a time. */
class Connection {
  private socket: Socket | undefined;
  private readBuffer: Buffer | undefined;
  private buf: Buffer = Buffer.alloc(0);
  // The request in flight, as plain fields: no object per request.
  private pending: PreparedRequest | undefined;
  private done: ((r: RawResult) => void) | undefined;
  private sentAt = 0;
  // Parser state for the response in progress.
  private status = 0;
  private bodyLeft = -1;
  private chunked = false;
  private closeAfter = false;
  /** The body in progress, once the head is in (core/http1.ts finds its end, chunked included). */
  private body: BodyTracker | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
    /** Told when the connection is free again, before the request's callback runs. */
    private readonly onFree: (c: Connection) => void,
  ) {}

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Callbacks rather than promises: at tens of thousands of requests a second, allocations are the cost. */
  send(req: PreparedRequest, done: (r: RawResult) => void): void {
    this.pending = req;
    this.done = done;
    this.sentAt = performance.now();
    this.resetParser();
    if (!this.socket || this.socket.destroyed) this.open();
    this.socket?.write(req.bytes);
  }

  /** Called by the pool's sweep: one timer for all connections instead of one per request. */
  expire(now: number): void {
    if (this.pending && now - this.sentAt > this.timeoutMs) this.fail("timeout");
  }

  private open(): void {
    // Reads land in this connection's own buffer (net's `onread`), skipping the readable stream and a
    // fresh Buffer per read: on one core that is a good share of a small request's cost.
    this.readBuffer ??= Buffer.alloc(READ_BUFFER_BYTES);
    const readBuffer = this.readBuffer;
    const s = connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          if (this.socket !== s) return false;
          if (this.whole(readBuffer, n)) return true;
          this.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
          // What is kept for the next read must not live in the buffer the next read overwrites.
          if (this.buf.length > 0 && this.buf.buffer === readBuffer.buffer) this.buf = Buffer.from(this.buf);
          return true;
        },
      },
    });
    this.socket = s;
    this.buf = Buffer.alloc(0);
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (this.socket === s)
        this.fail(err.code === "ECONNREFUSED" ? "connect" : err.code === "ECONNRESET" ? "reset" : "other");
    });
    s.on("close", () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      // A response delimited by the close completes here; anything else was cut short.
      if (this.pending && this.body?.framing.kind === "close") this.complete();
      else if (this.pending) this.fail("reset");
    });
  }

  private resetParser(): void {
    this.status = 0;
    this.bodyLeft = -1;
    this.chunked = false;
    this.closeAfter = false;
    this.body = undefined;
  }

  /**
   * The common case, read in place: a whole response with a Content-Length in one read, nothing carried
   * over. No Buffer is made for it; anything else returns false and takes the general path.
   */
  private whole(rb: Buffer, n: number): boolean {
    if (this.buf.length > 0 || !this.pending || this.body) return false;
    const end = rb.indexOf(CRLFCRLF);
    // The buffer past n holds older reads: a match there is not this response's.
    if (end === -1 || end + 4 > n) return false;
    this.status = (rb[9] ?? 48) * 100 + (rb[10] ?? 48) * 10 + (rb[11] ?? 48) - 48 * 111;
    this.readHead(rb, end);
    if (this.noBody()) this.bodyLeft = 0;
    if (this.chunked || this.bodyLeft < 0 || end + 4 + this.bodyLeft > n) return false;
    this.complete();
    return true;
  }

  /** HEAD, 1xx, 204 and 304 answers have no body whatever their fields say. */
  private noBody(): boolean {
    return (
      this.pending?.head === true ||
      this.status === 204 ||
      this.status === 304 ||
      (this.status >= 100 && this.status < 200)
    );
  }

  private onData(d: Buffer): void {
    if (!this.pending) {
      this.buf = Buffer.alloc(0);
      return;
    }
    let rest = d;
    if (!this.body) {
      const head = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      const end = head.indexOf(CRLFCRLF);
      if (end === -1) {
        this.buf = head;
        return;
      }
      this.status = (head[9] ?? 48) * 100 + (head[10] ?? 48) * 10 + (head[11] ?? 48) - 48 * 111;
      this.readHead(head, end);
      this.body = new BodyTracker(this.framing());
      this.buf = Buffer.alloc(0);
      rest = head.subarray(end + 4);
    }
    try {
      this.body.take(rest);
    } catch {
      this.fail("other"); // chunked framing that cannot be read
      return;
    }
    if (this.body.done) this.complete();
  }

  /** How the body in progress ends: no body, a length, chunked, or the connection's close. */
  private framing(): Framing {
    if (this.noBody()) return { kind: "length", length: 0 };
    if (this.chunked) return { kind: "chunked" };
    return this.bodyLeft >= 0 ? { kind: "length", length: this.bodyLeft } : { kind: "close" };
  }

  /**
   * Reads Content-Length, Transfer-Encoding: chunked and Connection: close from the head's bytes
   * [0, end), in any letter case, without making a string.
   */
  private readHead(b: Uint8Array, end: number): void {
    this.bodyLeft = -1;
    this.chunked = false;
    this.closeAfter = false;
    for (let i = 0; i < end; i++) {
      if (b[i] !== 10) continue;
      const at = i + 1;
      const c = (b[at] ?? 0) | 0x20;
      if (c === 0x63) {
        if (startsWithName(b, at, "content-length:")) this.bodyLeft = digitsAt(b, at + 15);
        else if (startsWithName(b, at, "connection:")) this.closeAfter = lineHas(b, at + 11, end, "close");
      } else if (c === 0x74 && startsWithName(b, at, "transfer-encoding:"))
        this.chunked = lineHas(b, at + 18, end, "chunked");
    }
  }

  private complete(): void {
    const done = this.done;
    if (!this.pending || !done) return;
    this.pending = undefined;
    this.done = undefined;
    if (this.closeAfter) this.dropSocket();
    // Taken before onFree: it may start the next request on this connection.
    const result = { status: this.status, sentAt: this.sentAt };
    this.onFree(this);
    done(result);
  }

  private fail(error: string): void {
    const done = this.done;
    if (!this.pending || !done) return;
    this.pending = undefined;
    this.done = undefined;
    this.dropSocket();
    const result = { error, sentAt: this.sentAt };
    this.onFree(this);
    done(result);
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = undefined;
    this.buf = Buffer.alloc(0);
    s?.destroy();
  }

  close(): void {
    this.fail("other");
    this.dropSocket();
  }
}

/** A fixed pool of keep-alive connections to one origin; requests wait (in order) for a free one. */
export class RawPool {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly waiting: { req: PreparedRequest; done: (r: RawResult) => void }[] = [];
  private head = 0;
  private closed = false;
  private readonly sweep: NodeJS.Timeout;

  constructor(host: string, port: number, size: number, timeoutMs: number) {
    const onFree = (c: Connection) => this.free(c);
    for (let i = 0; i < size; i++) {
      const c = new Connection(host, port, timeoutMs, onFree);
      this.all.push(c);
      this.idle.push(c);
    }
    this.sweep = setInterval(
      () => {
        const now = performance.now();
        for (const c of this.all) c.expire(now);
      },
      Math.max(10, Math.min(100, timeoutMs / 4)),
    );
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }

  request(req: PreparedRequest, done: (r: RawResult) => void): void {
    const conn = this.idle.pop();
    if (conn) conn.send(req, done);
    else this.waiting.push({ req, done });
  }

  /** A connection is free: the next waiter gets it before the finished request is reported, so the queue never stalls. */
  private free(conn: Connection): void {
    if (this.closed) return;
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (next) conn.send(next.req, next.done);
    } else this.idle.push(conn);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweep);
    for (const c of this.all) c.close();
    for (let i = this.head; i < this.waiting.length; i++)
      this.waiting[i]?.done({ error: "other", sentAt: performance.now() });
    this.waiting.length = 0;
    this.head = 0;
  }
}
