import { connect, type Socket } from "node:net";

/** What an exchange hears from the upstream connection it holds. */
export interface UpstreamUser {
  /** `data` is lent for the call only: it lives in a buffer the next read overwrites. */
  onUpstreamData(data: Buffer): void;
  onUpstreamDrain(): void;
  /** The connection closed; `err` is the error that closed it, if any. */
  onUpstreamClosed(err: NodeJS.ErrnoException | undefined): void;
}

/** What waits for a connection: called once, with one or an error (an object, not a closure per request). */
export interface Waiter {
  onAcquired(err: NodeJS.ErrnoException | undefined, conn: UpstreamConnection | undefined): void;
}

/** Every upstream read lands here; one is enough because a read is consumed (or copied) at once. */
const SHARED_READ_BUFFER = Buffer.alloc(64 * 1024);

/** Closed once idle this long: under Node's own 5 s keep-alive, so a server rarely closes one first. */
const IDLE_MS = 3_000;

/**
 * One keep-alive connection. Its listeners are set once and dispatch to whichever exchange holds it, so
 * lending it to the next request costs no listener changes.
 */
export class UpstreamConnection {
  user: UpstreamUser | undefined;
  /** Exchanges it has completed: a reset on a reused connection may be a close racing the request. */
  uses = 0;
  idleSince = 0;
  lastError: NodeJS.ErrnoException | undefined;
  readonly socket: Socket;

  constructor(host: string, port: number) {
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: SHARED_READ_BUFFER, callback: (n: number) => this.onRead(n) },
    });
    this.socket.on("drain", () => this.user?.onUpstreamDrain());
    this.socket.on("error", (err: NodeJS.ErrnoException) => {
      this.lastError = err;
    });
  }

  /** Reads land in one buffer shared by all upstream connections (net's `onread`): no Buffer per read. */
  private onRead(n: number): boolean {
    if (this.user) this.user.onUpstreamData(SHARED_READ_BUFFER.subarray(0, n));
    else this.socket.destroy(); // bytes nobody asked for: the connection is out of step
    return true;
  }

  write(data: string | Uint8Array): boolean {
    return typeof data === "string" ? this.socket.write(data, "latin1") : this.socket.write(data);
  }
}

/**
 * Keep-alive connections to one upstream, at most `max` at a time; a request waits (in order) for a free
 * one. An idle connection is dropped as soon as the server closes it, and after IDLE_MS.
 */
export class UpstreamPool {
  private idle: UpstreamConnection[] = [];
  private readonly waiting: Waiter[] = [];
  private open = 0;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly max = 256,
  ) {}

  /**
   * Lends a connection: an idle one if there is one, else a new one, else the first to come free.
   * `fresh` asks for a new connection (a repeat after a reused one failed must not meet a stale one
   * again); an idle one is closed to make room if the pool is full.
   */
  acquire(w: Waiter, fresh = false): void {
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      if (conn.socket.destroyed) continue;
      if (!fresh) {
        w.onAcquired(undefined, conn);
        return;
      }
      conn.socket.destroy();
      this.connect(w);
      return;
    }
    if (this.closed) w.onAcquired(refused(), undefined);
    else if (this.open < this.max) this.connect(w);
    else this.waiting.push(w);
  }

  /** Cancels a waiting acquire (its client went away). */
  cancel(w: Waiter): void {
    const i = this.waiting.indexOf(w);
    if (i !== -1) this.waiting.splice(i, 1);
  }

  /** Takes back a connection after a complete exchange whose response left it open. */
  release(conn: UpstreamConnection): void {
    conn.user = undefined;
    conn.uses++;
    if (conn.socket.isPaused()) conn.socket.resume();
    const next = this.waiting.shift();
    if (next) next.onAcquired(undefined, conn);
    else if (this.closed) conn.socket.destroy();
    else {
      conn.idleSince = performance.now();
      this.idle.push(conn);
    }
  }

  /** Closes connections idle too long; called by the router's one-second ticker. */
  sweep(now = performance.now()): void {
    const keep: UpstreamConnection[] = [];
    for (const c of this.idle)
      if (!c.socket.destroyed && now - c.idleSince <= IDLE_MS) keep.push(c);
      else c.socket.destroy();
    this.idle = keep;
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    for (const w of this.waiting.splice(0)) w.onAcquired(refused(), undefined);
  }

  private connect(w: Waiter): void {
    this.open++;
    const conn = new UpstreamConnection(this.host, this.port);
    let connected = false;
    conn.socket.once("connect", () => {
      connected = true;
      w.onAcquired(undefined, conn);
    });
    conn.socket.once("close", () => {
      this.open--;
      if (!connected) w.onAcquired(conn.lastError ?? refused(), undefined);
      else conn.user?.onUpstreamClosed(conn.lastError);
      const next = this.waiting.shift();
      if (next) this.acquire(next);
    });
  }
}

function refused(): NodeJS.ErrnoException {
  return Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
}
