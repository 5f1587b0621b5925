import { connect, createServer, type Server, type Socket } from "node:net";
import { acceptWithOwnReads, type ReadBuffer, type ReadInto } from "./accept.js";
import { Link } from "./link.js";
import { listenOn } from "./listen.js";
import type { ToxicSpec } from "./toxics.js";

export interface ProxyCounters {
  received(direction: "upstream" | "downstream", n: number): void;
  bytes(direction: "upstream" | "downstream", n: number): void;
  connections(delta: number): void;
}

/** Node's own read size. */
const READ_BUFFER_BYTES = 64 * 1024;

interface Connection {
  client: Socket;
  upstream: Socket;
  up: Link;
  down: Link;
}

export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { host: host === "localhost" ? "127.0.0.1" : host, port: Number(address.slice(i + 1)) };
}

/**
 * Hands a read to a link. The chunk is lent: when a write still holds it, the socket's next read goes
 * into a new buffer.
 */
function lend(link: Link | undefined, into: ReadBuffer, n: number, buf: Uint8Array): true {
  const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
  if (link?.receive(chunk, true)) into.current = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return true;
}

/** A Toxiproxy-style TCP proxy: every accepted connection gets an upstream socket and two links. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly conns = new Set<Connection>();
  address = "";

  constructor(
    private upstream: string,
    private readonly toxics: () => readonly ToxicSpec[],
    private readonly counters: ProxyCounters,
  ) {}

  async start(listen: string): Promise<string> {
    const { host, port } = splitHostPort(listen);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      this.accept(client, undefined);
    });
    this.address = await listenOn(server, host, port);
    acceptWithOwnReads(server, {
      buffer: () => Buffer.allocUnsafe(READ_BUFFER_BYTES),
      accept: (client, into) => this.accept(client, into),
    });
    server.on("error", () => undefined);
    this.server = server;
    return this.address;
  }

  /** Closes the listener and drops every connection (enabled: false). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.conns]) this.close(c, false);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  setUpstream(upstream: string): void {
    this.upstream = upstream;
  }

  toxicAdded(t: ToxicSpec): void {
    for (const c of this.conns) (t.stream === "upstream" ? c.up : c.down).addToxic(t);
  }

  toxicUpdated(t: ToxicSpec): void {
    for (const c of [...this.conns]) (t.stream === "upstream" ? c.up : c.down).updateToxic(t);
  }

  toxicRemoved(t: ToxicSpec): void {
    for (const c of [...this.conns]) (t.stream === "upstream" ? c.up : c.down).removeToxic(t.name);
  }

  /**
   * Joins a client to a new upstream connection. Both sides read into buffers of their own (net's
   * `onread`), skipping the readable stream, unless the client came without one (`clientReads`).
   */
  private accept(client: Socket, clientReads: ReadBuffer | undefined): ReadInto {
    const { host, port } = splitHostPort(this.upstream);
    const upstreamReads: ReadBuffer = { current: Buffer.allocUnsafe(READ_BUFFER_BYTES) };
    let down: Link | undefined;
    const upstream = connect({
      host,
      port,
      allowHalfOpen: true,
      onread: {
        buffer: () => upstreamReads.current,
        callback: (n: number, buf: Uint8Array) => lend(down, upstreamReads, n, buf),
      },
    });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const toxics = this.toxics();
    let conn: Connection | undefined;
    const hooks = (direction: "upstream" | "downstream") => ({
      onRead: (n: number) => this.counters.received(direction, n),
      onBytes: (n: number) => this.counters.bytes(direction, n),
      closeConnection: (reset: boolean) => {
        if (conn) this.close(conn, reset);
      },
    });
    const up = new Link(
      client,
      upstream,
      toxics.filter((t) => t.stream === "upstream"),
      hooks("upstream"),
      clientReads !== undefined,
    );
    down = new Link(
      upstream,
      client,
      toxics.filter((t) => t.stream === "downstream"),
      hooks("downstream"),
      true,
    );
    conn = { client, upstream, up, down };
    const c = conn;
    this.conns.add(c);
    this.counters.connections(1);
    upstream.once("connect", () => client.resume());
    // An upstream that cannot be reached closes the client, as Toxiproxy does.
    upstream.on("error", () => this.close(c, true));
    client.on("error", () => this.close(c, true));
    // Ends travel through the links (after any data they still hold); here we only clean up.
    const onClose = () => {
      if (client.destroyed && upstream.destroyed) this.forget(c);
    };
    client.on("close", onClose);
    upstream.on("close", onClose);
    // When both directions have ended, both sockets are done.
    const maybeDone = () => {
      if (
        client.readableEnded &&
        upstream.readableEnded &&
        client.writableFinished &&
        upstream.writableFinished
      ) {
        client.destroy();
        upstream.destroy();
      }
    };
    for (const s of [client, upstream]) {
      s.on("finish", maybeDone);
      s.on("end", maybeDone);
    }
    return (n, buf) => lend(up, clientReads as ReadBuffer, n, buf);
  }

  private close(c: Connection, reset: boolean): void {
    if (reset) {
      for (const s of [c.client, c.upstream]) {
        try {
          if (!s.destroyed) s.resetAndDestroy();
        } catch {
          s.destroy();
        }
      }
    } else {
      c.client.destroy();
      c.upstream.destroy();
    }
    this.forget(c);
  }

  private forget(c: Connection): void {
    if (!this.conns.delete(c)) return;
    c.up.dispose();
    c.down.dispose();
    this.counters.connections(-1);
  }
}
