import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { describe, it } from "node:test";
import { acceptWithOwnReads, type ReadBuffer } from "../../src/proxy/accept.js";

async function listening(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** Reads from `socket` until `want` bytes came; the socket stays open. */
function readBytes(socket: Socket, want: number): Promise<string> {
  let got = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      got += d.toString("latin1");
      if (got.length < want) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      resolve(got);
    };
    const onClose = () => reject(new Error(`closed after ${JSON.stringify(got)}`));
    socket.on("data", onData);
    socket.on("close", onClose);
  });
}

describe("accepted sockets that read into a buffer of their own", () => {
  it("hands every read in the given buffer to the socket's reader, in order, and the server waits for them on close", async () => {
    const shared = Buffer.alloc(16);
    const buffersSeen = new Set<ArrayBufferLike>();
    const server = createServer({ allowHalfOpen: true });
    server.on("connection", () => assert.fail("a socket went through the stream path"));
    const port = await listening(server);
    const hooked = acceptWithOwnReads(server, {
      buffer: () => shared,
      accept: (socket) => {
        socket.on("end", () => socket.end());
        return (n, buf) => {
          buffersSeen.add(buf.buffer);
          // An echo, upper-cased, so the answer could not have come from anywhere else.
          socket.write(Buffer.from(buf.subarray(0, n)).toString("latin1").toUpperCase());
          return true;
        };
      },
    });
    assert.equal(hooked, true, "Node's listener no longer has the private onconnection this relies on");
    const client = connect(port, "127.0.0.1");
    // More than the 16-byte buffer holds: it takes several reads.
    const sent = "reads land in a buffer of our own, sixteen bytes at a time";
    client.write(sent);
    assert.equal(await readBytes(client, sent.length), sent.toUpperCase());
    assert.deepEqual([...buffersSeen], [shared.buffer]);
    let closed = false;
    const serverClosed = new Promise<void>((resolve) =>
      server.close(() => {
        closed = true;
        resolve();
      }),
    );
    // The connection still works after close() was asked for, and close waits for it.
    client.write("still open");
    assert.equal(await readBytes(client, 10), "STILL OPEN");
    assert.equal(closed, false);
    client.end();
    await serverClosed;
  });

  it("keeps a paused-on-connect socket unread until resumed, and a reader may move the next read to a new buffer", async () => {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const port = await listening(server);
    const second = Buffer.alloc(64);
    let accepted: Socket | undefined;
    const reads: Uint8Array[] = [];
    let gotTwo: () => void = () => {};
    const two = new Promise<void>((resolve) => {
      gotTwo = resolve;
    });
    let sawAccept: () => void = () => {};
    const acceptedNow = new Promise<void>((resolve) => {
      sawAccept = resolve;
    });
    acceptWithOwnReads(server, {
      buffer: () => Buffer.alloc(64),
      accept: (socket, into: ReadBuffer) => {
        accepted = socket;
        sawAccept();
        return (n, buf) => {
          reads.push(buf);
          socket.write(`${n};`);
          into.current = second;
          if (reads.length === 2) gotTwo();
          return true;
        };
      },
    });
    const client = connect(port, "127.0.0.1");
    client.write("first");
    await acceptedNow;
    assert.equal(accepted?.isPaused(), true);
    assert.equal(reads.length, 0);
    accepted?.resume();
    assert.equal(await readBytes(client, 2), "5;");
    client.write("second");
    await two;
    assert.notEqual(reads[0], second);
    assert.equal(reads[1], second);
    client.destroy();
    accepted?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("changes nothing on a server that is not listening, and says so", () => {
    const server = createServer();
    assert.equal(
      acceptWithOwnReads(server, { buffer: () => Buffer.alloc(1), accept: () => () => true }),
      false,
    );
  });
});
