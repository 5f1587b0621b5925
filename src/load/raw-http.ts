import { connect, type Socket } from "node:net";

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
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port || 80),
    bytes: bodyBytes ? Buffer.concat([head, bodyBytes]) : head,
    head: method === "HEAD",
  };
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** Per connection: large enough that a typical response arrives in one read. */
const READ_BUFFER_BYTES = 64 * 1024;
const CONTENT_LENGTH = Buffer.from("\r\nContent-Length:");
const CONNECTION_CLOSE = Buffer.from("\r\nConnection: close");
const TRANSFER_ENCODING = Buffer.from("\r\nTransfer-Encoding:");

/** One keep-alive connection carrying one request at a time. */
class Connection {
  private socket: Socket | undefined;
  private readBuffer: Buffer | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { req: PreparedRequest; done: (r: RawResult) => void; sentAt: number } | undefined;
  // Parser state for the response in progress.
  private status = 0;
  private bodyLeft = -1;
  private chunked = false;
  private closeAfter = false;
  private headerDone = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Callbacks rather than promises: at tens of thousands of requests a second, allocations are the cost. */
  send(req: PreparedRequest, done: (r: RawResult) => void): void {
    this.pending = { req, done, sentAt: performance.now() };
    this.resetParser();
    if (!this.socket || this.socket.destroyed) this.open();
    this.socket?.write(req.bytes);
  }

  /** Called by the pool's sweep: one timer for all connections instead of one per request. */
  expire(now: number): void {
    if (this.pending && now - this.pending.sentAt > this.timeoutMs) this.fail("timeout");
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
      if (this.pending && this.headerDone && this.bodyLeft === -1 && !this.chunked) this.complete();
      else if (this.pending) this.fail("reset");
    });
  }

  private resetParser(): void {
    this.status = 0;
    this.bodyLeft = -1;
    this.chunked = false;
    this.closeAfter = false;
    this.headerDone = false;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    if (!this.pending) {
      this.buf = Buffer.alloc(0);
      return;
    }
    if (!this.headerDone) {
      const end = this.buf.indexOf(CRLFCRLF);
      if (end === -1) return;
      const head = this.buf;
      this.status = (head[9] ?? 48) * 100 + (head[10] ?? 48) * 10 + (head[11] ?? 48) - 48 * 111;
      this.parseHeaders(head, end);
      this.buf = this.buf.subarray(end + 4);
      this.headerDone = true;
      // No body for HEAD, 1xx, 204 and 304; without length or chunking, the close delimits it (bodyLeft -1).
      if (
        this.pending.req.head ||
        this.status === 204 ||
        this.status === 304 ||
        (this.status >= 100 && this.status < 200)
      )
        this.bodyLeft = 0;
    }
    if (this.chunked) {
      if (this.consumeChunks()) this.complete();
      return;
    }
    if (this.bodyLeft >= 0) {
      if (this.buf.length >= this.bodyLeft) {
        this.buf = this.buf.subarray(this.bodyLeft);
        this.bodyLeft = 0;
        this.complete();
      }
    }
  }

  /**
   * Reads Content-Length, Transfer-Encoding and Connection from the header block without building a
   * string in the common (canonical-case) form; other spellings fall back to a case-insensitive scan.
   */
  private parseHeaders(buf: Buffer, end: number): void {
    const cl = buf.indexOf(CONTENT_LENGTH);
    if (cl !== -1 && cl < end) {
      let i = cl + 17;
      while (buf[i] === 32) i++;
      let n = 0;
      for (let c = buf[i]; c !== undefined && c >= 48 && c <= 57; c = buf[++i]) n = n * 10 + c - 48;
      this.bodyLeft = n;
      const close = buf.indexOf(CONNECTION_CLOSE);
      this.closeAfter = close !== -1 && close < end;
      const te = buf.indexOf(TRANSFER_ENCODING);
      this.chunked = te !== -1 && te < end;
      if (!this.chunked) return;
    }
    const head = buf.toString("latin1", 0, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    this.bodyLeft = m?.[1] !== undefined ? Number(m[1]) : -1;
    this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
    this.closeAfter = /\r\nconnection:\s*close/i.test(head);
  }

  /** Consumes chunked framing from the buffer; true once the last chunk and trailers are in. */
  private consumeChunks(): boolean {
    for (;;) {
      const lineEnd = this.buf.indexOf("\r\n");
      if (lineEnd === -1) return false;
      const size = Number.parseInt(this.buf.toString("latin1", 0, lineEnd), 16);
      if (Number.isNaN(size)) {
        this.fail("other");
        return false;
      }
      if (size === 0) {
        const trailerEnd = this.buf.indexOf(CRLFCRLF, lineEnd);
        if (this.buf.length >= lineEnd + 4 && this.buf.subarray(lineEnd, lineEnd + 4).equals(CRLFCRLF)) {
          this.buf = this.buf.subarray(lineEnd + 4);
          return true;
        }
        if (trailerEnd === -1) return false;
        this.buf = this.buf.subarray(trailerEnd + 4);
        return true;
      }
      if (this.buf.length < lineEnd + 2 + size + 2) return false;
      this.buf = this.buf.subarray(lineEnd + 2 + size + 2);
    }
  }

  private complete(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (this.closeAfter) this.dropSocket();
    p.done({ status: this.status, sentAt: p.sentAt });
  }

  private fail(error: string): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.dropSocket();
    p.done({ error, sentAt: p.sentAt });
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
  private readonly sweep: NodeJS.Timeout;

  constructor(host: string, port: number, size: number, timeoutMs: number) {
    for (let i = 0; i < size; i++) {
      const c = new Connection(host, port, timeoutMs);
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
    if (conn) this.dispatch(conn, req, done);
    else this.waiting.push({ req, done });
  }

  private dispatch(conn: Connection, req: PreparedRequest, done: (r: RawResult) => void): void {
    conn.send(req, (r) => {
      // Hand the connection to the next waiter before reporting, so the queue never stalls.
      if (this.head < this.waiting.length) {
        const next = this.waiting[this.head++];
        if (this.head > 1024 && this.head * 2 > this.waiting.length) {
          this.waiting.splice(0, this.head);
          this.head = 0;
        }
        if (next) this.dispatch(conn, next.req, next.done);
      } else this.idle.push(conn);
      done(r);
    });
  }

  close(): void {
    clearInterval(this.sweep);
    for (const c of this.all) c.close();
    for (let i = this.head; i < this.waiting.length; i++)
      this.waiting[i]?.done({ error: "other", sentAt: performance.now() });
    this.waiting.length = 0;
    this.head = 0;
  }
}
