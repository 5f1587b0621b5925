import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { Router } from "../../src/proxy/router.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An upstream whose handler each test sets. */
async function upstream(): Promise<{ port: number; handle: (h: Handler) => void; close(): Promise<void> }> {
  let handler: Handler = (_req, res) => res.end("ok");
  const server = createServer((req, res) => handler(req, res));
  server.on("upgrade", (req: IncomingMessage, socket: Socket, early: Buffer) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`,
    );
    if (early.length > 0) socket.write(early);
    socket.pipe(socket); // an echo
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    handle: (h) => {
      handler = h;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `bytes` on a new connection and reads until `complete` says so or the router closes it. */
async function raw(
  port: number,
  bytes: string | Buffer,
  complete: (got: string) => boolean = () => false,
): Promise<{ text: string; closed: boolean }> {
  const socket = connect(port, "127.0.0.1");
  socket.write(bytes);
  let text = "";
  return new Promise((resolve) => {
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (complete(text)) {
        socket.destroy();
        resolve({ text, closed: false });
      }
    });
    socket.on("close", () => resolve({ text, closed: true }));
    socket.on("error", () => {});
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("the canary router's relay", () => {
  let up: Awaited<ReturnType<typeof upstream>>;
  let router: Router;
  let port: number;
  before(async () => {
    up = await upstream();
    router = new Router({
      name: "relay",
      stable: `http://127.0.0.1:${up.port}`,
      canary: `http://127.0.0.1:${up.port}`,
    });
    const addr = await router.listen("127.0.0.1", 0);
    port = Number(addr.split(":").pop());
  });
  after(async () => {
    await router.close();
    await up.close();
  });

  it("streams an upload to the upstream before the client has sent all of it, and 20 MiB each way arrive whole", async () => {
    const size = 20 * 1024 * 1024;
    const body = Buffer.alloc(size, 7);
    for (let i = 0; i < size; i += 4096) body[i] = i & 0xff;
    let firstBytes: () => void = () => {};
    const upstreamReading = new Promise<void>((resolve) => {
      firstBytes = resolve;
    });
    up.handle((req, res) => {
      const hash = createHash("sha256");
      let n = 0;
      req.once("data", () => firstBytes());
      req.on("data", (d: Buffer) => {
        hash.update(d);
        n += d.length;
      });
      req.on("end", () => {
        // The answer is the upload, back, so both directions carry 20 MiB.
        res.writeHead(200, { "x-received": String(n), "x-sha": hash.digest("hex") });
        res.end(body);
      });
    });
    const answer = new Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }>(
      (resolve, reject) => {
        const req = request(
          { port, method: "POST", path: "/upload", headers: { "content-length": String(size) } },
          (res) => {
            const parts: Buffer[] = [];
            res.on("data", (d: Buffer) => parts.push(d));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
            );
          },
        );
        req.on("error", reject);
        req.write(body.subarray(0, 1024 * 1024));
        // The rest goes only once the upstream has begun to read: a router that buffers the whole
        // request first would never get there.
        void upstreamReading.then(() => req.end(body.subarray(1024 * 1024)));
      },
    );
    const got = await answer;
    assert.equal(got.status, 200);
    assert.equal(got.headers["x-received"], String(size));
    assert.equal(got.headers["x-sha"], sha(body));
    assert.equal(got.body.length, size);
    assert.equal(sha(got.body), sha(body));
  });

  it("relays chunked bodies as they are, trailers included", async () => {
    up.handle((req, res) => {
      let text = "";
      req.setEncoding("latin1");
      req.on("data", (d: string) => {
        text += d;
      });
      req.on("end", () => {
        res.writeHead(200, { "transfer-encoding": "chunked", trailer: "x-length" });
        res.write(text.toUpperCase());
        res.write("!");
        res.addTrailers({ "x-length": String(text.length), "x-seen": String(req.trailers["x-check"]) });
        res.end();
      });
    });
    const { text } = await raw(
      port,
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Check: yes\r\n\r\n",
      (t) => t.endsWith("\r\n\r\n") && t.includes("\r\n0\r\n"),
    );
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/i);
    assert.match(text, /\r\nx-withstand-version: (stable|canary)\r\n/);
    const bodyPart = text.slice(text.indexOf("\r\n\r\n") + 4);
    const data = bodyPart
      .split("\r\n")
      .filter((_, i, all) => i % 2 === 1 && i < all.indexOf("0"))
      .join("");
    assert.equal(data, "HELLO WORLD!");
    assert.match(bodyPart, /\r\nx-length: 11\r\n/);
    assert.match(bodyPart, /\r\nx-seen: yes\r\n/);
  });

  it("answers pipelined requests in order on one connection, HEAD without a body", async () => {
    up.handle((req, res) => res.end(`path ${req.url}`));
    const { text } = await raw(
      port,
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n",
      (t) => t.includes("path /c"),
    );
    const statusLines = text.match(/HTTP\/1\.1 200 OK/g) ?? [];
    assert.equal(statusLines.length, 3);
    assert.ok(text.indexOf("path /a") < text.indexOf("path /c"));
    assert.equal(text.includes("path /b"), false, "a HEAD answer has no body");
  });

  it("refuses requests that could smuggle another past it, and the upstream never sees them", async () => {
    let seen = 0;
    up.handle((_req, res) => {
      seen++;
      res.end("ok");
    });
    for (const head of [
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    ]) {
      const { text, closed } = await raw(port, head);
      assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(head));
      assert.ok(closed);
    }
    const huge = await raw(port, `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`);
    assert.match(huge.text, /^HTTP\/1\.1 431 /);
    assert.equal(seen, 0);
  });

  it("rewrites only what belongs to one hop: Host, X-Forwarded-For, Connection and the fields it names", async () => {
    let headers: IncomingMessage["headers"] = {};
    up.handle((req, res) => {
      headers = req.headers;
      res.setHeader("connection", "keep-alive, x-internal");
      res.setHeader("x-internal", "secret");
      res.end("ok");
    });
    const { text } = await raw(
      port,
      "GET /h HTTP/1.1\r\nHost: public.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Forwarded-For: 10.0.0.1\r\nX-Keep: 2\r\n\r\n",
      (t) => t.endsWith("ok"),
    );
    assert.equal(headers.host, `127.0.0.1:${up.port}`);
    assert.equal(headers["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert.equal(headers["x-hop"], undefined);
    assert.equal(headers["x-keep"], "2");
    assert.doesNotMatch(text, /x-internal/i, "a field the upstream's Connection names stays on its hop");
  });

  it("passes 100-continue, an HTTP/1.0 client and a close-delimited answer through", async () => {
    up.handle((req, res) => {
      let n = 0;
      req.on("data", (d: Buffer) => {
        n += d.length;
      });
      req.on("end", () => res.end(`got ${n}`));
    });
    const continued = await new Promise<string>((resolve, reject) => {
      const req = request({
        port,
        method: "PUT",
        path: "/e",
        headers: { expect: "100-continue", "content-length": "3" },
      });
      req.on("continue", () => req.end("abc"));
      req.on("response", (res) => {
        let t = "";
        res.on("data", (d: Buffer) => {
          t += d;
        });
        res.on("end", () => resolve(t));
      });
      req.on("error", reject);
    });
    assert.equal(continued, "got 3");

    const old = await raw(port, "GET /old HTTP/1.0\r\n\r\n");
    assert.ok(old.closed, "an HTTP/1.0 client's connection closes after its answer");
    assert.match(old.text, /\r\nconnection: close\r\n/i);
    assert.ok(old.text.endsWith("got 0"));

    // An upstream answering without a length: its close ends the body.
    const bare = createNetServer((s) =>
      s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close")),
    );
    bare.listen(0, "127.0.0.1");
    await once(bare, "listening");
    const r2 = new Router({
      name: "bare",
      stable: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`,
      canary: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`,
    });
    const p2 = Number((await r2.listen("127.0.0.1", 0)).split(":").pop());
    try {
      const closeDelimited = await raw(p2, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.ok(closeDelimited.text.endsWith("\r\n\r\nuntil the close"));
      assert.ok(closeDelimited.closed);
      assert.equal(r2.stats.stable.errors + r2.stats.canary.errors, 0);
    } finally {
      await r2.close();
      bare.close();
    }
  });

  it("sends a POST and its whole body to stable when the canary refuses the connection: nothing was sent", async () => {
    const closed = createNetServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const gone = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r3 = new Router({
      name: "refused",
      stable: `http://127.0.0.1:${up.port}`,
      canary: `http://127.0.0.1:${gone}`,
    });
    const p3 = Number((await r3.listen("127.0.0.1", 0)).split(":").pop());
    r3.setWeight(100);
    up.handle((req, res) => {
      const hash = createHash("sha256");
      req.on("data", (d: Buffer) => hash.update(d));
      req.on("end", () => res.end(hash.digest("hex")));
    });
    const body = Buffer.alloc(300 * 1024, 3);
    try {
      const { text } = await raw(
        p3,
        Buffer.concat([
          Buffer.from(`POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`),
          body,
        ]),
        (t) => t.endsWith(sha(body)),
      );
      assert.match(text, /\r\nx-withstand-version: stable\r\n/);
      assert.equal(r3.failedOver, 1);
      assert.equal(r3.stats.stable.total, 1);
      assert.equal(r3.stats.canary.total, 0);
    } finally {
      await r3.close();
    }
  });

  it("loses no GET to an upstream that closes idle keep-alive connections after 20 ms", async () => {
    const brisk = createServer((_req, res) => res.end("fresh"));
    brisk.keepAliveTimeout = 20;
    brisk.listen(0, "127.0.0.1");
    await once(brisk, "listening");
    const url = `http://127.0.0.1:${(brisk.address() as AddressInfo).port}`;
    const r4 = new Router({ name: "brisk", stable: url, canary: url });
    const p4 = Number((await r4.listen("127.0.0.1", 0)).split(":").pop());
    const client = new Agent({ keepAlive: true, maxSockets: 1 });
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 150; i++) {
        // Gaps around the upstream's 20 ms idle close, so some requests meet a connection as it closes.
        await new Promise((r) => setTimeout(r, (i * 7) % 45));
        statuses.push(
          await new Promise<number>((resolve) => {
            const req = request({ port: p4, path: "/", agent: client }, (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            });
            req.on("error", () => resolve(0));
            req.end();
          }),
        );
      }
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );
    } finally {
      client.destroy();
      await r4.close();
      brisk.closeAllConnections();
      brisk.close();
    }
  });

  it("tunnels an upgraded connection (a WebSocket handshake) both ways", async () => {
    const socket = connect(port, "127.0.0.1");
    socket.write("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    let text = "";
    await new Promise<void>((resolve) => {
      socket.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (text.includes("\r\n\r\n")) resolve();
      });
    });
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(text, /\r\nUpgrade: websocket\r\n/i);
    socket.removeAllListeners("data");
    socket.write("ping through the tunnel");
    let echoed = "";
    await new Promise<void>((resolve) => {
      socket.on("data", (d: Buffer) => {
        echoed += d.toString("latin1");
        if (echoed === "ping through the tunnel") resolve();
      });
    });
    socket.destroy();
  });

  it("tunnels the bytes a client sends right behind its upgrade request, before the 101", async () => {
    const head = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    const { text } = await raw(port, `${head}sent early`, (t) => t.endsWith("sent early"));
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.equal(text.slice(text.indexOf("\r\n\r\n") + 4), "sent early");
  });

  it("stops the upstream's answer when the client goes away, and counts the request as cut", async () => {
    let upstreamClosed: () => void = () => {};
    const closedUpstream = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    up.handle((_req, res) => {
      res.writeHead(200, { "content-length": "1000000" });
      res.write("first part");
      res.on("close", () => upstreamClosed());
    });
    const errorsBefore = router.stats.stable.errors + router.stats.canary.errors;
    const { text } = await raw(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", (t) =>
      t.includes("first part"),
    );
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    await closedUpstream;
    assert.equal(router.stats.stable.errors + router.stats.canary.errors, errorsBefore + 1);
  });
});
