import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadPacts } from "../../src/pact/load.js";
import { verifyPacts } from "../../src/pact/verify.js";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { type SeenRequest, startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";

const pact = (path: string, response: Record<string, unknown>) => ({
  consumer: { name: "c" },
  provider: { name: "p" },
  metadata: { pactSpecification: { version: "3.0.0" } },
  interactions: [{ description: `GET ${path}`, request: { method: "GET", path }, response }],
});

/** A hostile provider: a value a backtracking regex chokes on, a body that never ends, a huge one. */
function hostile(served: (url: string) => void) {
  const streams = new Set<ServerResponse>();
  const handler = (req: SeenRequest, res: ServerResponse) => {
    if (req.url === "/stream") {
      // writes until the client goes away (or the test ends): a body that never ends
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"name":"');
      streams.add(res);
      const chunk = "a".repeat(65536);
      const timer = setInterval(() => res.write(chunk), 20);
      res.on("close", () => {
        clearInterval(timer);
        streams.delete(res);
      });
      served(req.url);
      return;
    }
    if (req.url === "/big") {
      // 12 MB, chunked: no content-length to refuse it by
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"name":"');
      for (let i = 0; i < 12; i++) res.write("a".repeat(1024 * 1024));
      res.end('"}');
      served(req.url);
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ name: `${"a".repeat(40)}!` }), () => served(req.url));
  };
  return { handler, streams };
}

describe("pact verify against a hostile provider", () => {
  const { dir, env } = isolatedEnv();
  const servedUrls: string[] = [];
  const waiters: { url: string; resolve: () => void }[] = [];
  const served = (url: string) => {
    servedUrls.push(url);
    for (const w of waiters.filter((x) => x.url === url)) w.resolve();
  };
  const whenServed = (url: string) => new Promise<void>((resolve) => waiters.push({ url, resolve }));
  const h = hostile(served);
  let provider: Awaited<ReturnType<typeof startServer>>;
  const redos = join(dir, "redos.json");
  const stream = join(dir, "stream.json");
  const big = join(dir, "big.json");
  before(async () => {
    provider = await startServer(h.handler);
    const rule = { body: { "$.name": { matchers: [{ match: "regex", regex: "(a+)+$" }] } } };
    writeFileSync(
      redos,
      JSON.stringify(pact("/name", { status: 200, body: { name: "aaaa" }, matchingRules: rule })),
    );
    writeFileSync(stream, JSON.stringify(pact("/stream", { status: 200, body: { name: "x" } })));
    writeFileSync(big, JSON.stringify(pact("/big", { status: 200, body: { name: "x" } })));
  });
  after(async () => {
    for (const s of h.streams) s.destroy();
    await provider.close();
  });

  it("refuses a regex that backtracks catastrophically as a mismatch instead of spinning for minutes", {
    timeout: 120_000,
  }, async () => {
    const r = await runCli(["pact", "verify", redos, "--provider-base-url", provider.url], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /refused as catastrophic backtracking/);
  });

  it("ends on SIGTERM while a regex backtracks", { timeout: 120_000 }, async () => {
    const child = startCli(["pact", "verify", redos, "--provider-base-url", provider.url], { env });
    const done = finished(child);
    await whenServed("/name");
    child.kill("SIGTERM");
    const r = await done;
    // interrupted (3), not the verdict the time budget would give 5 s later
    assert.equal(r.code, 3, r.stdout + r.stderr);
  });

  it("--timeout bounds the whole response: a body that never ends fails the interaction", {
    timeout: 120_000,
  }, async () => {
    const r = await runCli(
      ["pact", "verify", stream, "--provider-base-url", provider.url, "--timeout", "2s"],
      { env },
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /did not send the whole response \(headers and body\) within 2000 ms/);
  });

  it("does not read a body over 10 MB", { timeout: 120_000 }, async () => {
    const r = await runCli(["pact", "verify", big, "--provider-base-url", provider.url], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /body over 10485760 bytes, not read further/);
  });

  it("the rollout gate's verification is bounded the same way", { timeout: 120_000 }, async () => {
    const verify = async (file: string, timeoutMs: number) =>
      verifyPacts((await loadPacts([file])).pacts, {
        providerBaseUrl: provider.url,
        states: { kind: "none" },
        timeoutMs,
      });
    const [r1] = await verify(redos, 30_000);
    assert.equal(r1?.status, "failed");
    assert.match(r1?.mismatches[0]?.mismatch ?? "", /catastrophic backtracking/);
    const [r2] = await verify(stream, 2000);
    assert.equal(r2?.status, "error");
    assert.match(r2?.error ?? "", /within 2000 ms/);
    const [r3] = await verify(big, 30_000);
    assert.equal(r3?.status, "failed");
    assert.match(r3?.mismatches[0]?.mismatch ?? "", /body over 10485760 bytes/);
  });
});
