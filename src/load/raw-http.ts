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

export function prepareRequest(method: string, url: string, headers: Record<string, string>, body?: string): PreparedRequest {
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

/** One keep-alive connection carrying one request at a time. */
class Connection {
  private socket: Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { req: PreparedRequest; resolve: (r: RawResult) => void; sentAt: number; timer: NodeJS.Timeout } | undefined;
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

  send(req: PreparedRequest): Promise<RawResult> {
    return new Promise((resolve) => {
      const sentAt = performance.now();
      const timer = setTimeout(() => this.fail("timeout"), this.timeoutMs);
      this.pending = { req, resolve, sentAt, timer };
      this.resetParser();
      if (!this.socket || this.socket.destroyed) this.open();
      this.socket?.write(req.bytes);
    });
  }

  private open(): void {
    const s = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = s;
    this.buf = Buffer.alloc(0);
    s.on("data", (d: Buffer) => this.onData(d));
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (this.socket === s) this.fail(err.code === "ECONNREFUSED" ? "connect" : err.code === "ECONNRESET" ? "reset" : "other");
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
      const head = this.buf.toString("latin1", 0, end);
      this.buf = this.buf.subarray(end + 4);
      this.headerDone = true;
      this.status = Number(head.slice(9, 12));
      const lower = head.toLowerCase();
      const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(lower);
      this.closeAfter = /\r\nconnection:\s*close/.test(lower);
      if (this.pending.req.head || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) this.bodyLeft = 0;
      else if (cl?.[1] !== undefined) this.bodyLeft = Number(cl[1]);
      else if (!this.chunked) this.bodyLeft = -1; // delimited by close
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
    clearTimeout(p.timer);
    this.pending = undefined;
    if (this.closeAfter) this.dropSocket();
    p.resolve({ status: this.status, sentAt: p.sentAt });
  }

  private fail(error: string): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    this.dropSocket();
    p.resolve({ error, sentAt: p.sentAt });
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

/** A fixed pool of keep-alive connections to one origin; callers wait for a free connection. */
export class RawPool {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly waiters: ((c: Connection) => void)[] = [];

  constructor(host: string, port: number, size: number, timeoutMs: number) {
    for (let i = 0; i < size; i++) {
      const c = new Connection(host, port, timeoutMs);
      this.all.push(c);
      this.idle.push(c);
    }
  }

  get queued(): number {
    return this.waiters.length;
  }

  get free(): number {
    return this.idle.length;
  }

  async request(req: PreparedRequest): Promise<RawResult> {
    const conn = this.idle.pop() ?? (await new Promise<Connection>((resolve) => this.waiters.push(resolve)));
    try {
      return await conn.send(req);
    } finally {
      const next = this.waiters.shift();
      if (next) next(conn);
      else this.idle.push(conn);
    }
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}
