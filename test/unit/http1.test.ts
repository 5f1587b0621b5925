import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BodyTracker,
  ChunkedScanner,
  connectionTokens,
  FramingError,
  fieldValues,
  keepsAlive,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  responseFraming,
} from "../../src/core/http1.js";

function chunked(parts: Uint8Array[], trailers: string[] = [], extension = ""): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (p.length === 0) continue;
    out.push(Buffer.from(`${p.length.toString(16)}${extension}\r\n`), Buffer.from(p), Buffer.from("\r\n"));
  }
  out.push(Buffer.from(`0\r\n${trailers.map((t) => `${t}\r\n`).join("")}\r\n`));
  return Buffer.concat(out);
}

/** Feeds `bytes` to a scanner cut at `cuts`; returns how many bytes it took and whether it finished. */
function scanInPieces(bytes: Buffer, cuts: number[]): { taken: number; done: boolean } {
  const scanner = new ChunkedScanner();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let taken = 0;
  for (const to of [...points, bytes.length]) {
    if (to <= from) continue;
    taken += scanner.scan(bytes.subarray(from, to));
    from = to;
    if (scanner.done) break;
  }
  return { taken, done: scanner.done };
}

describe("HTTP/1.1 framing", () => {
  it("finds the exact end of any chunked body, however its bytes are split, and leaves what follows", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        fc.constantFrom("", ";name=value", ";a;b=c"),
        (parts, cuts, withTrailer, extension) => {
          const body = chunked(parts, withTrailer ? ["Expires: never", "X-Sum: 1"] : [], extension);
          const next = Buffer.from("GET /next HTTP/1.1\r\n\r\n");
          const { taken, done } = scanInPieces(Buffer.concat([body, next]), cuts);
          assert.ok(done);
          assert.equal(taken, body.length);
        },
      ),
    );
  });

  it("does not finish a chunked body cut short", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 100 }), { minLength: 1, maxLength: 5 }),
        (parts) => {
          const body = chunked(parts);
          const scanner = new ChunkedScanner();
          assert.equal(scanner.scan(body.subarray(0, body.length - 1)), body.length - 1);
          assert.equal(scanner.done, false);
        },
      ),
    );
  });

  it("refuses chunk framing two parties could read differently", () => {
    for (const bad of [
      "5\r\nhello\r\n0\n\r\n", // bare LF after the last chunk size
      "5\nhello\r\n0\r\n\r\n", // bare LF after a size
      "x\r\n", // no size
      "5\r\nhelloX\r\n0\r\n\r\n", // data longer than its size
      "fffffffffffffff\r\n", // a size no body has
    ])
      assert.throws(() => new ChunkedScanner().scan(Buffer.from(bad)), FramingError, JSON.stringify(bad));
  });

  it("parses a request head and keeps every field as sent, repeats and case included", () => {
    const head = parseRequestHead(
      "POST /orders?id=1 HTTP/1.1\r\nHost: shop\r\nX-Tag: a\r\nx-tag:  b \t\r\nContent-Length: 5",
    );
    assert.equal(head.method, "POST");
    assert.equal(head.target, "/orders?id=1");
    assert.equal(head.minor, 1);
    assert.deepEqual(head.fields, ["Host", "shop", "X-Tag", "a", "x-tag", "b", "Content-Length", "5"]);
    assert.deepEqual(fieldValues(head, "x-tag"), ["a", "b"]);
    assert.deepEqual(requestFraming(head), { kind: "length", length: 5 });
  });

  it("refuses request heads that could smuggle a second request", () => {
    const cases: [string, number][] = [
      ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3", 400],
      ["POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4", 400],
      ["POST / HTTP/1.1\r\nContent-Length: 3, 4", 400],
      ["POST / HTTP/1.1\r\nContent-Length: -1", 400],
      ["POST / HTTP/1.1\r\nContent-Length: 0x10", 400],
      ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip", 501],
      ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip", 501],
      ["POST / HTTP/1.0\r\nTransfer-Encoding: chunked", 400],
      ["GET / HTTP/1.1\r\nX-A: 1\r\n folded", 400],
      ["GET / HTTP/1.1\r\nX-A : 1", 400],
      ["GET / HTTP/1.1\r\nX-A: 1\nX-B: 2", 400],
      ["GET / HTTP/1.1\r\nX-A: 1\rX-B: 2", 400],
      ["GET / HTTP/2.0", 400],
      ["GET  / HTTP/1.1", 400],
    ];
    for (const [head, status] of cases) {
      let caught: unknown;
      try {
        requestFraming(parseRequestHead(head));
      } catch (err) {
        caught = err;
      }
      assert.ok(caught instanceof FramingError, `accepted ${JSON.stringify(head)}`);
      assert.equal(caught.status, status, JSON.stringify(head));
    }
    // Equal repeated lengths are one length (RFC 9112 §6.3).
    assert.deepEqual(requestFraming(parseRequestHead("POST / HTTP/1.1\r\nContent-Length: 3, 3")), {
      kind: "length",
      length: 3,
    });
    assert.deepEqual(
      requestFraming(parseRequestHead("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked")),
      {
        kind: "chunked",
      },
    );
  });

  it("frames responses by the request's method and the status (HEAD, 1xx, 204, 304 have no body)", () => {
    const r = (s: string) => parseResponseHead(s);
    assert.deepEqual(responseFraming(r("HTTP/1.1 200 OK\r\nContent-Length: 10"), "HEAD"), {
      kind: "length",
      length: 0,
    });
    assert.deepEqual(responseFraming(r("HTTP/1.1 204 No Content"), "GET"), { kind: "length", length: 0 });
    assert.deepEqual(responseFraming(r("HTTP/1.1 304 Not Modified\r\nContent-Length: 9"), "GET"), {
      kind: "length",
      length: 0,
    });
    assert.deepEqual(responseFraming(r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"), "GET"), {
      kind: "chunked",
    });
    assert.deepEqual(responseFraming(r("HTTP/1.0 200 OK"), "GET"), { kind: "close" });
    assert.deepEqual(responseFraming(r("HTTP/1.1 200"), "GET"), { kind: "close" });
    assert.equal(r("HTTP/1.1 503 Service Unavailable").status, 503);
  });

  it("knows when each side keeps the connection", () => {
    const t = (s: string) => connectionTokens(parseRequestHead(s));
    assert.equal(keepsAlive(1, t("GET / HTTP/1.1")), true);
    assert.equal(keepsAlive(1, t("GET / HTTP/1.1\r\nConnection: Keep-Alive, close")), false);
    assert.equal(keepsAlive(0, t("GET / HTTP/1.0")), false);
    assert.equal(keepsAlive(0, t("GET / HTTP/1.0\r\nConnection: keep-alive")), true);
  });

  it("tracks a body of known length across reads and stops at its end", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 5000 }),
        fc.array(fc.nat({ max: 700 }), { maxLength: 20 }),
        (length, reads) => {
          const body = new BodyTracker({ kind: "length", length });
          let taken = 0;
          for (const r of [...reads, length + 100]) {
            taken += body.take(new Uint8Array(r));
            if (body.done) break;
          }
          assert.equal(taken, length);
          assert.ok(body.done);
        },
      ),
    );
  });
});
