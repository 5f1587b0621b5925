import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Toxiproxy } from "toxiproxy-node-client";
import { ProxyApi } from "../../src/proxy/api.js";
import { runCli } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { roundTrip, startEcho } from "../helpers/tcp.js";

let api: ProxyApi;
let base: string;
let echo: Awaited<ReturnType<typeof startEcho>>;

before(async () => {
  api = new ProxyApi();
  base = `http://${await api.listen("127.0.0.1", 0)}`;
  echo = await startEcho();
});
after(async () => {
  await api.close();
  await echo.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const type = res.headers.get("content-type");
  const json =
    text && !type?.startsWith("text/plain; version")
      ? (JSON.parse(text) as Record<string, unknown>)
      : undefined;
  return { status: res.status, text, json, type };
}

const port = (listen: string) => Number(listen.slice(listen.lastIndexOf(":") + 1));

describe("Toxiproxy HTTP API", () => {
  it("works unchanged with the toxiproxy-node-client library", async () => {
    const t = new Toxiproxy(base);
    assert.equal(await t.getVersion(), '{"version":"2.12.0"}\n');
    const p = await t.createProxy({
      name: "client-lib",
      listen: "localhost:0",
      upstream: `127.0.0.1:${echo.port}`,
    });
    assert.match(p.listen, /^127\.0\.0\.1:\d+$/);
    const toxic = await p.addToxic({ type: "latency", attributes: { latency: 50, jitter: 0 } } as never);
    assert.equal(toxic.name, "latency_downstream");
    assert.equal(toxic.toxicity, 1);
    const slow = await roundTrip(port(p.listen), [Buffer.from("ping")]);
    assert.equal(slow.data.toString(), "ping");
    assert.ok(slow.ms >= 45, `round trip ${slow.ms}ms through a 50ms latency toxic`);
    await toxic.update({ attributes: { latency: 5 } } as never);
    assert.deepEqual((await p.getToxic("latency_downstream")).attributes, { latency: 5, jitter: 0 });
    await assert.rejects(p.addToxic({ type: "latency", attributes: { latency: 1 } } as never), /409/);
    await assert.rejects(p.getToxic("nope"), /404/);
    await toxic.remove();
    const populated = await t.populate([
      { name: "pop-a", listen: "127.0.0.1:0", upstream: "127.0.0.1:6379" },
      { name: "pop-b", listen: "127.0.0.1:0", upstream: "127.0.0.1:6380" },
    ] as never);
    assert.deepEqual(Object.keys(populated).sort(), ["pop-a", "pop-b"]);
    await p.update({ enabled: false, listen: p.listen, upstream: p.upstream } as never);
    assert.equal((await t.get("client-lib")).enabled, false);
    await t.reset();
    assert.equal((await t.get("client-lib")).enabled, true);
    await p.remove();
    await assert.rejects(t.get("client-lib"), /404/);
  });

  it("matches Toxiproxy's status codes, error bodies and defaults", async () => {
    const create = await call("POST", "/proxies", {
      name: "codes",
      listen: "127.0.0.1:0",
      upstream: `127.0.0.1:${echo.port}`,
    });
    assert.equal(create.status, 201);
    assert.deepEqual(Object.keys(create.json ?? {}), ["name", "listen", "upstream", "enabled", "toxics"]);
    assert.deepEqual(create.json?.toxics, []);
    assert.deepEqual(await call("POST", "/proxies", { name: "codes", upstream: "x:1" }), {
      status: 409,
      text: '{"error":"proxy already exists","status":409}\n',
      json: { error: "proxy already exists", status: 409 },
      type: "text/plain; charset=utf-8",
    });
    assert.equal(
      (await call("POST", "/proxies", { upstream: "x:1" })).text,
      '{"error":"missing required field: name","status":400}\n',
    );
    assert.equal((await call("POST", "/proxies", "{not json")).status, 400);
    const added = await call("POST", "/proxies/codes/toxics", {
      type: "bandwidth",
      stream: "UPSTREAM",
      attributes: { rate: 100 },
    });
    assert.equal(added.status, 200);
    assert.deepEqual(added.json, {
      attributes: { rate: 100 },
      name: "bandwidth_UPSTREAM",
      type: "bandwidth",
      stream: "upstream",
      toxicity: 1,
    });
    assert.equal(
      (await call("POST", "/proxies/codes/toxics", { type: "latency", attributes: { latency: 1.5 } })).text,
      '{"error":"bad request body: json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64","status":400}\n',
    );
    assert.equal(
      (await call("POST", "/proxies/codes/toxics", { type: "nope" })).text,
      '{"error":"invalid toxic type","status":400}\n',
    );
    assert.equal(
      (await call("POST", "/proxies/codes/toxics", { type: "latency", stream: "sideways" })).status,
      400,
    );
    assert.equal((await call("POST", "/proxies/missing/toxics", { type: "latency" })).status, 404);
    await call("POST", "/proxies/codes/toxics", { type: "latency", attributes: { latency: 10 } });
    const list = await call("GET", "/proxies/codes/toxics");
    assert.deepEqual(
      (list.json as unknown as { stream: string }[]).map((t) => t.stream),
      ["upstream", "downstream"],
    );
    assert.equal(
      (
        await call("PATCH", "/proxies/codes/toxics/latency_downstream", {
          attributes: { jitter: 3 },
          toxicity: 0.5,
        })
      ).status,
      200,
    );
    assert.deepEqual((await call("GET", "/proxies/codes/toxics/latency_downstream")).json, {
      attributes: { latency: 10, jitter: 3 },
      name: "latency_downstream",
      type: "latency",
      stream: "downstream",
      toxicity: 0.5,
    });
    assert.equal((await call("DELETE", "/proxies/codes/toxics/latency_downstream")).status, 204);
    assert.equal(
      (await call("DELETE", "/proxies/codes/toxics/latency_downstream")).text,
      '{"error":"toxic not found","status":404}\n',
    );
    assert.equal(
      (await call("GET", "/proxies", undefined, { "user-agent": "Mozilla/5.0 (X11)" })).status,
      403,
    );
    assert.equal((await call("POST", "/reset")).status, 204);
    assert.deepEqual((await call("GET", "/proxies/codes")).json?.toxics, []);
    const taken = await call("POST", "/proxies", {
      name: "clash",
      listen: `127.0.0.1:${echo.port}`,
      upstream: "x:1",
    });
    assert.equal(taken.status, 500);
    assert.match(taken.text, /bind: address already in use/);
    assert.equal((await call("DELETE", "/proxies/codes")).status, 204);
  });

  it("populates: unchanged proxies stay, changed ones are replaced, toxics in the config are applied, never null", async () => {
    const empty = await call("POST", "/populate", []);
    assert.deepEqual(empty.json, { proxies: [] });
    const first = await call("POST", "/populate", [
      {
        name: "popx",
        listen: "127.0.0.1:0",
        upstream: `127.0.0.1:${echo.port}`,
        toxics: [{ type: "latency", attributes: { latency: 20 } }],
      },
    ]);
    assert.equal(first.status, 201);
    const shown = ((first.json?.proxies ?? []) as { listen: string; toxics: unknown[] }[])[0];
    assert.equal(shown?.toxics.length, 1);
    const same = await call("POST", "/populate", [
      { name: "popx", listen: shown?.listen, upstream: `127.0.0.1:${echo.port}` },
    ]);
    assert.equal(
      ((same.json?.proxies ?? []) as { toxics: unknown[] }[])[0]?.toxics.length,
      1,
      "an unchanged proxy keeps its toxics",
    );
    const changed = await call("POST", "/populate", [
      { name: "popx", listen: "127.0.0.1:0", upstream: "127.0.0.1:1" },
    ]);
    assert.equal(((changed.json?.proxies ?? []) as { toxics: unknown[] }[])[0]?.toxics.length, 0);
    assert.equal(
      (await call("POST", "/populate", [{ listen: "x" }])).text,
      '{"error":"missing required field: name at proxy 1","status":400}\n',
    );
    await call("DELETE", "/proxies/popx");
  });

  it("exports Prometheus metrics: bytes read and sent per direction, connections, toxics", async () => {
    const p = await call("POST", "/proxies", {
      name: "metered",
      listen: "127.0.0.1:0",
      upstream: `127.0.0.1:${echo.port}`,
    });
    await call("POST", "/proxies/metered/toxics", {
      type: "limit_data",
      stream: "downstream",
      attributes: { bytes: 10 },
    });
    await roundTrip(port(String(p.json?.listen)), [Buffer.alloc(100, 1)]);
    const text = (await call("GET", "/metrics")).text;
    assert.match(text, /toxiproxy_proxy_received_bytes_total\{proxy="metered",direction="upstream"\} 100/);
    assert.match(text, /toxiproxy_proxy_sent_bytes_total\{proxy="metered",direction="downstream"\} 10\n/);
    assert.match(text, /withstand_proxy_active_toxics\{proxy="metered"\} 1/);
    assert.match(text, /withstand_proxy_open_connections/);
    await call("DELETE", "/proxies/metered");
  });
});

describe("the proxy API's guard (the same as serve's)", () => {
  const raw = (path: string, headers: Record<string, string>, method = "POST") =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(path, base);
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method, headers },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });

  it("refuses a foreign Host (DNS rebinding) and a cross-site Origin, on every route", async () => {
    for (const path of ["/reset", "/proxies", "/proxies/x/toxics"]) {
      assert.equal(await raw(path, { host: "evil.example:8474" }), 421, path);
      assert.equal(await raw(path, { host: new URL(base).host, origin: "http://evil.example" }), 403, path);
    }
    assert.equal(
      await raw("/reset", { host: new URL(base).host }),
      204,
      "a plain Toxiproxy client still works",
    );
    assert.equal(await raw("/reset", { host: `localhost:${new URL(base).port}` }), 204);
  });

  it("answers 400, not 500, for toxic types that are only names on Object's prototype", async () => {
    await api.collection.create({ name: "proto", listen: "127.0.0.1:0", upstream: "127.0.0.1:9" });
    try {
      for (const type of ["constructor", "toString", "__proto__"]) {
        const res = await fetch(`${base}/proxies/proto/toxics`, {
          method: "POST",
          body: JSON.stringify({ type }),
        });
        assert.equal(res.status, 400, type);
        assert.match(await res.text(), /invalid toxic type/);
      }
    } finally {
      await api.collection.remove("proto");
    }
  });

  it("off loopback it needs a token of at least 16 characters, compared in constant time", async () => {
    const { env } = isolatedEnv();
    const short = await runCli(["proxy", "--host", "0.0.0.0", "--port", "0", "--token", "x"], { env });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--token: expected at least 16 characters/);
    // 16 characters, but one guess: the same character, or spaces.
    for (const [weak, said] of [
      ["a".repeat(16), /--token: expected a random token, got one of 1 different characters/],
      [" ".repeat(16), /--token: expected no spaces or control characters/],
      ["abababababababab", /--token: expected a random token, got one of 2 different characters/],
    ] as const) {
      const r = await runCli(["proxy", "--host", "0.0.0.0", "--port", "0", "--token", weak], { env });
      assert.equal(r.code, 2, JSON.stringify(weak));
      assert.match(r.stderr, said);
    }
    const none = await runCli(["proxy", "--host", "0.0.0.0", "--port", "0"], { env });
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /--host 0\.0\.0\.0: binding beyond loopback exposes the fault API; pass --token too/,
    );
    const open = new ProxyApi();
    const token = "0123456789abcdef-proxy";
    const address = await open.listen("0.0.0.0", 0, token);
    try {
      const port = address.slice(address.lastIndexOf(":") + 1);
      const call = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: "127.0.0.1", port, path: "/proxies", headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end();
        });
      assert.equal(await call({}), 401);
      assert.equal(await call({ authorization: `Bearer ${token.slice(0, -1)}X` }), 401);
      assert.equal(await call({ authorization: `Bearer ${token}` }), 200);
    } finally {
      await open.close();
    }
  });
});

describe("toxics on real connections", () => {
  let n = 0;
  async function proxyWith(toxics: unknown[]): Promise<number> {
    const name = `t${++n}`;
    const p = await call("POST", "/proxies", {
      name,
      listen: "127.0.0.1:0",
      upstream: `127.0.0.1:${echo.port}`,
    });
    for (const t of toxics) assert.equal((await call("POST", `/proxies/${name}/toxics`, t)).status, 200);
    return port(String(p.json?.listen));
  }

  it("loses, reorders or duplicates no byte without a toxic (property: random payloads, chunking, close timing)", async () => {
    const p = await proxyWith([]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 20_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 3 }),
        async (chunks, gap) => {
          const bufs = chunks.map((c) => Buffer.from(c));
          const r = await roundTrip(p, bufs, gap);
          assert.equal(r.error, undefined);
          assert.ok(r.data.equals(Buffer.concat(bufs)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keeps bytes in order through latency with jitter, slicer and bandwidth", async () => {
    const p = await proxyWith([
      { type: "latency", attributes: { latency: 5, jitter: 5 } },
      { type: "slicer", attributes: { average_size: 100, size_variation: 30, delay: 200 } },
      { type: "bandwidth", stream: "upstream", attributes: { rate: 2000 } },
    ]);
    const payload = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
    const r = await roundTrip(p, [payload.subarray(0, 20_000), payload.subarray(20_000)], 1);
    assert.ok(r.data.equals(payload));
  });

  it("limits bandwidth: 100 KB at 200 KB/s takes about half a second", async () => {
    const p = await proxyWith([{ type: "bandwidth", attributes: { rate: 200 } }]);
    const r = await roundTrip(p, [Buffer.alloc(100_000, 7)]);
    assert.equal(r.data.length, 100_000);
    assert.ok(r.ms >= 450 && r.ms < 3000, `${r.ms}ms`);
  });

  it("limit_data closes after N bytes; timeout drops data and closes; reset_peer resets", async () => {
    const limited = await roundTrip(await proxyWith([{ type: "limit_data", attributes: { bytes: 1000 } }]), [
      Buffer.alloc(5000, 1),
    ]);
    assert.equal(limited.data.length, 1000);
    const timedOut = await roundTrip(await proxyWith([{ type: "timeout", attributes: { timeout: 200 } }]), [
      Buffer.from("lost"),
    ]);
    assert.equal(timedOut.data.length, 0);
    assert.ok(timedOut.ms >= 180);
    const reset = await roundTrip(
      await proxyWith([{ type: "reset_peer", stream: "upstream", attributes: { timeout: 0 } }]),
      [Buffer.from("x")],
    );
    assert.equal(reset.error, "ECONNRESET");
  });

  it("delays the close with slow_close, and applies a toxic with toxicity 0 to no connection", async () => {
    const slow = await roundTrip(await proxyWith([{ type: "slow_close", attributes: { delay: 300 } }]), [
      Buffer.from("bye"),
    ]);
    assert.equal(slow.data.toString(), "bye");
    assert.ok(slow.ms >= 280, `${slow.ms}`);
    const none = await roundTrip(
      await proxyWith([{ type: "timeout", toxicity: 0, attributes: { timeout: 0 } }]),
      [Buffer.from("through")],
    );
    assert.equal(none.data.toString(), "through");
  });

  it("takes a disabled proxy down: the listener closes and connections drop", async () => {
    const name = "downme";
    const p = await call("POST", "/proxies", {
      name,
      listen: "127.0.0.1:0",
      upstream: `127.0.0.1:${echo.port}`,
    });
    const listen = String(p.json?.listen);
    await call("POST", `/proxies/${name}/toxics`, { type: "latency", attributes: { latency: 5000 } });
    const inflight = roundTrip(port(listen), [Buffer.from("x")]);
    await new Promise((r) => setTimeout(r, 100));
    await call("POST", `/proxies/${name}`, { enabled: false });
    const r = await inflight;
    assert.equal(r.data.length, 0);
    const refused = await roundTrip(port(listen), [Buffer.from("x")]);
    assert.equal(refused.error, "ECONNREFUSED");
  });

  it("removing a timeout toxic closes the connections it held, as in Toxiproxy", async () => {
    const name = "holder";
    const p = await call("POST", "/proxies", {
      name,
      listen: "127.0.0.1:0",
      upstream: `127.0.0.1:${echo.port}`,
    });
    await call("POST", `/proxies/${name}/toxics`, { type: "timeout", attributes: { timeout: 0 } });
    const held = roundTrip(port(String(p.json?.listen)), [Buffer.from("x")]);
    await new Promise((r) => setTimeout(r, 100));
    await call("DELETE", `/proxies/${name}/toxics/timeout_downstream`);
    const r = await held;
    assert.equal(r.data.length, 0);
  });

  it("holds many concurrent connections and releases every file descriptor", async () => {
    const p = await proxyWith([]);
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => roundTrip(p, [Buffer.from(`conn-${i}`)])),
    );
    assert.ok(results.every((r, i) => r.data.toString() === `conn-${i}`));
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(fds() <= before + 5, `fds ${before} -> ${fds()}`);
  });
});

describe("HTTP faults on proxies with protocol http", () => {
  it("aborts and delays matching requests, keeps keep-alive and streaming bodies working", async () => {
    const upstream = await startServer((req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${req.method} ${req.url} ${req.body.length}`);
    });
    try {
      const p = await call("POST", "/proxies", {
        name: "web",
        listen: "127.0.0.1:0",
        upstream: `127.0.0.1:${upstream.port}`,
        protocol: "http",
      });
      assert.equal(p.json?.protocol, "http");
      const url = `http://${String(p.json?.listen)}`;
      assert.equal((await call("POST", "/proxies/web/toxics", { type: "latency" })).status, 400);
      assert.equal(
        (
          await call("POST", "/proxies/web/toxics", {
            type: "http_abort",
            attributes: { status: 503, match: { path: "/orders", method: "POST" } },
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await call("POST", "/proxies/web/toxics", {
            type: "http_delay",
            attributes: { latency: 150, match: { header: { name: "x-slow", value: "1" } } },
          })
        ).status,
        200,
      );
      const aborted = await fetch(`${url}/orders/1`, { method: "POST", body: "{}" });
      assert.equal(aborted.status, 503);
      await aborted.text();
      const passed = await fetch(`${url}/orders/1`);
      assert.equal(await passed.text(), "GET /orders/1 0");
      const t0 = performance.now();
      const delayed = await fetch(`${url}/x`, { headers: { "x-slow": "1" } });
      await delayed.text();
      assert.ok(performance.now() - t0 >= 140);
      const big = "y".repeat(300_000);
      const posted = await fetch(`${url}/upload`, { method: "PUT", body: big });
      assert.equal(await posted.text(), "PUT /upload 300000");
    } finally {
      await upstream.close();
      await call("DELETE", "/proxies/web");
    }
  });
});

describe("a toxic longer than a timer can hold", () => {
  it("is refused with a Toxiproxy-style 400 (30 days, 1e12 ms, latency + jitter), while 24 days is taken", async () => {
    const name = "huge-waits";
    assert.equal(
      (await call("POST", "/proxies", { name, listen: "127.0.0.1:0", upstream: "127.0.0.1:1" })).status,
      201,
    );
    for (const attributes of [
      { latency: 2_592_000_000 },
      { latency: 1e12 },
      { latency: 2_000_000_000, jitter: 200_000_000 },
    ]) {
      const r = await call("POST", `/proxies/${name}/toxics`, { type: "latency", attributes });
      assert.equal(r.status, 400, JSON.stringify(attributes));
      assert.match(
        String(r.json?.error),
        /^bad request body: latency \+ jitter of latency adds up to \d+ ms, longer than the 2147483647 ms/,
      );
    }
    const slow = await call("POST", `/proxies/${name}/toxics`, {
      type: "timeout",
      attributes: { timeout: 1e12 },
    });
    assert.equal(slow.status, 400);
    const ok = await call("POST", `/proxies/${name}/toxics`, {
      type: "latency",
      attributes: { latency: 24 * 86_400_000 },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await call("DELETE", `/proxies/${name}`)).status, 204);
  });
});
