import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { prepareRequest, RawPool, type RawResult } from "../../src/load/raw-http.js";

/**
 * A server that answers each request on a connection with the next scripted answer, each sent as the
 * given pieces (written one after the other once the previous has been flushed), so the client sees
 * heads and bodies split across reads.
 */
async function scripted(
  answers: string[][],
): Promise<{ port: number; requests: () => number; close(): void }> {
  let next = 0;
  let requests = 0;
  const server = createServer((socket: Socket) => {
    let pending = "";
    socket.on("data", async (d: Buffer) => {
      pending += d.toString("latin1");
      while (pending.includes("\r\n\r\n")) {
        pending = pending.slice(pending.indexOf("\r\n\r\n") + 4);
        requests++;
        const pieces = answers[next++ % answers.length] ?? [];
        for (const piece of pieces) {
          if (piece === "<close>") {
            socket.end();
            return;
          }
          if (!socket.write(piece, "latin1")) await once(socket, "drain");
          await new Promise((r) => setImmediate(r));
        }
      }
    });
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => server.close(),
  };
}

function send(pool: RawPool, port: number, method = "GET"): Promise<RawResult> {
  return new Promise((resolve) =>
    pool.request(prepareRequest(method, `http://127.0.0.1:${port}/`, {}), resolve),
  );
}

describe("the load generator's raw HTTP/1.1 client", () => {
  const answers = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"],
    ["HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\n", "abc"],
    ["HTTP/1.1 202 Accepted\r\nCONTENT-LENGTH:4\r\nX-Pad: ", "1\r\n\r\nwxyz"],
    ["HTTP/1.1 203 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc", "\r\n2\r\nde\r\n0\r\n", "\r\n"],
    ["HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"],
    ["HTTP/1.1 206 Partial\r\nTransfer-Encoding: chunked\r\nTrailer: x\r\n\r\n1\r\na\r\n0\r\nX: 1\r\n\r\n"],
  ];
  let server: Awaited<ReturnType<typeof scripted>>;
  let pool: RawPool;
  before(async () => {
    server = await scripted(answers);
    pool = new RawPool("127.0.0.1", server.port, 1, 5000);
  });
  after(() => {
    pool.close();
    server.close();
  });

  it("finds the end of every framing, in any letter case and split anywhere, and stays in step on one connection", async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < answers.length; i++) {
        const r = await send(pool, server.port);
        assert.ok("status" in r, JSON.stringify(r));
        statuses.push(r.status);
      }
    assert.deepEqual(
      statuses,
      [1, 2, 3].flatMap(() => [200, 201, 202, 203, 204, 206]),
    );
  });

  it("takes a HEAD answer's Content-Length as no body, and a close-delimited body as ending at the close", async () => {
    const head = await scripted([["HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"]]);
    const headPool = new RawPool("127.0.0.1", head.port, 1, 5000);
    try {
      for (let i = 0; i < 3; i++)
        assert.deepEqual(pick(await send(headPool, head.port, "HEAD")), { status: 200 });
    } finally {
      headPool.close();
      head.close();
    }
    const closing = await scripted([
      ["HTTP/1.1 200 OK\r\n\r\npart one ", "part two", "<close>"],
      ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"],
    ]);
    const closingPool = new RawPool("127.0.0.1", closing.port, 1, 5000);
    try {
      assert.deepEqual(pick(await send(closingPool, closing.port)), { status: 200 });
      assert.deepEqual(pick(await send(closingPool, closing.port)), { status: 200 });
      // After a `Connection: close` answer the next request goes on a new connection and is answered.
      assert.deepEqual(pick(await send(closingPool, closing.port)), { status: 200 });
      assert.equal(closing.requests(), 3);
    } finally {
      closingPool.close();
      closing.close();
    }
  });
});

function pick(r: RawResult): { status?: number; error?: string } {
  return "status" in r ? { status: r.status } : { error: r.error };
}
