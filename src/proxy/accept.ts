import { type Server, Socket } from "node:net";

/**
 * Accepted sockets that read into a buffer of the caller's (net's `onread`), as `net.connect` allows
 * and `net.Server` does not. Skipping the readable stream saves the proxies a Buffer and a stream push
 * per read (bench/router-haproxy: 0.53x -> about 0.6x HAProxy's req/s, 3-4 us of CPU less a request).
 */

/** Takes a read of `n` bytes into `buf`; returning false pauses reading, as with net's `onread`. */
export type ReadInto = (n: number, buf: Uint8Array) => boolean | undefined;

/** Where a socket's next read lands: its reader may put a new buffer here when a write still holds this one. */
export interface ReadBuffer {
  current: Uint8Array;
}

export interface OwnReads {
  /** The buffer a new socket reads into. Sockets may share one if nothing outlives the read callback. */
  buffer(): Uint8Array;
  /**
   * Called with every accepted socket and its read buffer; returns where its reads go. The socket is
   * already open: no read arrives before this returns.
   */
  accept(socket: Socket, into: ReadBuffer): ReadInto;
}

/**
 * The private parts of Node's listener this relies on. test/integration/accept.test.ts fails on a Node
 * that lacks them, so an upgrade that changes them is noticed rather than quietly slower.
 */
interface ListeningHandle {
  onconnection?: (err: number, clientHandle: unknown) => void;
}
interface PrivateServer {
  _handle?: ListeningHandle | null;
  _connections?: number;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
}
interface PrivateSocket {
  server?: Server;
  _server?: Server;
}

/**
 * Makes a listening server hand its accepted sockets to `reads.accept`, reading into `reads.buffer`.
 * It replaces the listening handle's private `onconnection` and does what Node's does, counting the
 * connection so `server.close()` still waits for it. Where Node's internals are not as expected it
 * changes nothing and returns false: sockets then reach the server's "connection" listeners and read
 * through their stream, as usual.
 */
export function acceptWithOwnReads(server: Server, reads: OwnReads): boolean {
  const priv = server as unknown as PrivateServer;
  const handle = priv._handle;
  const nodes = handle?.onconnection;
  if (!handle || typeof nodes !== "function" || typeof priv._connections !== "number") return false;
  handle.onconnection = (err: number, clientHandle: unknown) => {
    // An accept error, or a limit Node enforces: Node's own code handles it.
    if (err || server.maxConnections) {
      nodes.call(handle, err, clientHandle);
      return;
    }
    let readInto: ReadInto | undefined;
    const into: ReadBuffer = { current: reads.buffer() };
    const socket = new Socket({
      handle: clientHandle,
      allowHalfOpen: priv.allowHalfOpen === true,
      pauseOnCreate: priv.pauseOnConnect === true,
      readable: true,
      writable: true,
      onread: {
        buffer: () => into.current,
        callback: (n: number, buf: Uint8Array) => (readInto as ReadInto)(n, buf),
      },
    } as ConstructorParameters<typeof Socket>[0]);
    if (priv.noDelay) socket.setNoDelay(true);
    const s = socket as unknown as PrivateSocket;
    s.server = server;
    s._server = server;
    priv._connections = (priv._connections ?? 0) + 1;
    readInto = reads.accept(socket, into);
  };
  return true;
}
