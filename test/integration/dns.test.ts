import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import dnsPacket from "dns-packet";
import { DnsServer } from "../../src/dns/server.js";
import { freePort } from "../../src/proxy/listen.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

const run = promisify(execFile);
const { env } = isolatedEnv();
// "The real resolver": an authoritative server of our own, since tests never leave the machine.
const real = new DnsServer(undefined);
let dnsPort = 0;
let apiUrl = "";
let server: ReturnType<typeof startCli>;
let serverDone: ReturnType<typeof finished>;

before(async () => {
  real.addRecord("inventory.demo", ["10.1.1.1"]);
  const up = await real.listen("127.0.0.1", 0);
  dnsPort = await freePort();
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  server = startCli(
    [
      "dns",
      "--listen",
      `127.0.0.1:${dnsPort}`,
      "--api",
      `127.0.0.1:${apiPort}`,
      "--upstream",
      `127.0.0.1:${up.port}`,
    ],
    { env },
  );
  // Followed from the start: an exit before the teardown is still seen.
  serverDone = finished(server);
  await waitForOutput(server, "withstand dns on udp+tcp");
});
after(async () => {
  server.kill("SIGTERM");
  await serverDone;
  await real.close();
});

function resolver(timeout = 2000): Resolver {
  const r = new Resolver({ timeout, tries: 1 });
  r.setServers([`127.0.0.1:${dnsPort}`]);
  return r;
}

async function dig(...args: string[]): Promise<string> {
  const r = await run("dig", [`@127.0.0.1`, "-p", String(dnsPort), "+time=1", "+tries=1", ...args]).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }),
  );
  return r.stdout;
}

/** Injects a dns fault through the CLI, runs `check` while it holds, then stops it with Ctrl-C. */
async function withToxic(args: string[], check: () => Promise<void>): Promise<void> {
  const runner = startCli(
    ["inject", "dns", "--server", apiUrl, "--names", "inventory.*", ...args, "--json"],
    { env },
  );
  const done = finished(runner);
  await waitForOutput(runner, '"type":"fault-injected"').catch(async (err: Error) => {
    const r = await done;
    throw new Error(`${err.message}\nexit ${r.code}: ${r.stderr}`);
  });
  try {
    await check();
  } finally {
    runner.kill("SIGINT");
    assert.equal((await done).code, 3);
  }
  assert.deepEqual(await resolver().resolve4("inventory.demo"), ["10.1.1.1"], "the real answer after revert");
}

describe("withstand dns with real clients (dig, Node's resolver)", () => {
  it("forwards to the real resolver when no toxic matches", async () => {
    assert.deepEqual(await resolver().resolve4("inventory.demo"), ["10.1.1.1"]);
    assert.equal((await dig("+short", "inventory.demo")).trim(), "10.1.1.1");
  });

  it("nxdomain", async () => {
    await withToxic(["--answer", "nxdomain"], async () => {
      await assert.rejects(resolver().resolve4("inventory.demo"), { code: "ENOTFOUND" });
      assert.match(await dig("inventory.demo"), /status: NXDOMAIN/);
    });
  });

  it("servfail", async () => {
    await withToxic(["--answer", "servfail"], async () => {
      await assert.rejects(resolver().resolve4("inventory.demo"), { code: "ESERVFAIL" });
      assert.match(await dig("inventory.demo"), /status: SERVFAIL/);
    });
  });

  it("timeout: no answer at all", async () => {
    await withToxic(["--answer", "timeout"], async () => {
      await assert.rejects(resolver(300).resolve4("inventory.demo"), { code: "ETIMEOUT" });
      assert.match(await dig("inventory.demo"), /timed out|no servers could be reached/);
    });
  });

  it("address: a wrong address", async () => {
    await withToxic(["--answer", "address", "--address", "10.9.9.9"], async () => {
      assert.deepEqual(await resolver().resolve4("inventory.demo"), ["10.9.9.9"]);
      assert.equal((await dig("+short", "inventory.demo")).trim(), "10.9.9.9");
    });
  });

  it("delay: the answer comes late", async () => {
    await withToxic(["--answer", "delay", "--delay", "400ms"], async () => {
      const t0 = performance.now();
      assert.deepEqual(await resolver().resolve4("inventory.demo"), ["10.1.1.1"]);
      assert.ok(performance.now() - t0 >= 390, "at least the delay");
    });
  });

  it("truncate: UDP answers are truncated and clients retry over TCP", async () => {
    await withToxic(["--answer", "truncate"], async () => {
      const out = await dig("inventory.demo");
      assert.match(out, /Truncated, retrying in TCP mode/);
      assert.match(out, /inventory\.demo\.\s+\d+\s+IN\s+A\s+10\.1\.1\.1/);
    });
  });

  it("other names are untouched while a toxic holds", async () => {
    real.addRecord("orders.demo", ["10.2.2.2"]);
    await withToxic(["--answer", "nxdomain"], async () => {
      assert.deepEqual(await resolver().resolve4("orders.demo"), ["10.2.2.2"]);
    });
  });
});

describe("an experiment's own DNS server (dns:)", () => {
  it("starts with the run, takes the dns fault without a server, and is gone afterwards", async () => {
    const { dir, env } = isolatedEnv();
    const port = await freePort();
    const dig = (_expect: string) =>
      `{type: process, path: dig, arguments: ["@127.0.0.1", "-p", "${port}", "+time=1", "+tries=1", inventory.demo]}`;
    const file = join(dir, "own-dns.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: own-dns}
spec:
  dns: {listen: "127.0.0.1:${port}", upstream: none, records: {inventory.demo: 10.1.1.1}}
  method:
    - {type: probe, name: answers, tolerance: {type: regex, target: stdout, pattern: "10\\\\.1\\\\.1\\\\.1"}, provider: ${dig("")}}
    - {type: action, name: outage, fault: {kind: dns, names: "inventory.*", answer: nxdomain, duration: 5s}}
    - {type: probe, name: fails, tolerance: {type: regex, target: stdout, pattern: "status: NXDOMAIN"}, provider: ${dig("")}}
`,
    );
    const r = await runCli(["run", file], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /fault dns:nxdomain injected/);
    const after = await run("dig", [
      "@127.0.0.1",
      "-p",
      String(port),
      "+time=1",
      "+tries=1",
      "inventory.demo",
    ]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
    assert.match(
      after.stdout,
      /timed out|no servers could be reached/,
      "the run's DNS server stopped with it",
    );
  });

  it("reports a bad listen or upstream address at its line (exit 2)", async () => {
    const { dir, env } = isolatedEnv();
    const file = join(dir, "bad-dns.yaml");
    writeFileSync(
      file,
      "apiVersion: withstand/v1\nkind: Experiment\nmetadata: {name: bad}\nspec:\n  dns:\n    listen: 127.0.0.1\n    upstream: 10.0.0.1:x\n  method: []\n",
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad-dns\.yaml:6:13: .*spec\.dns\.listen.*expected HOST:PORT/);
    assert.match(r.stderr, /bad-dns\.yaml:7:15: .*spec\.dns\.upstream.*expected HOST:PORT, or none/);
  });
});

describe("a DNS delay the server cannot hold", () => {
  it("is refused (exit 2, naming the maximum), never reported as delayed and HELD", async () => {
    const r = await runCli(
      [
        "inject",
        "dns",
        "--server",
        apiUrl,
        "--names",
        "inventory.*",
        "--answer",
        "delay",
        "--delay",
        "30d",
        "--duration",
        "1s",
      ],
      { env },
    );
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /--delay: got "30d" \(expected at most 24d, the longest duration withstand waits for\)|delay_ms 2592000000 is longer than the 2147483647 ms \(about 24\.8 days\) withstand dns can hold/,
    );
    assert.doesNotMatch(r.stdout, /HELD/);
  });
});

describe("the DNS server's HTTP API speaks one naming and refuses what it cannot do", () => {
  const post = (body: unknown) =>
    fetch(`${apiUrl}/toxics`, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
    }));

  it("a negative delay_ms is refused as negative, not as missing", async () => {
    const r = await post({ names: "api-neg.*", answer: "delay", delay_ms: -5 });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /delay_ms: expected milliseconds >= 0, got -5/);
  });

  it("a lease_ms that is not a positive number is refused, not silently dropped", async () => {
    for (const lease_ms of [-1, 0, "5000"]) {
      const r = await post({ names: "api-lease.*", answer: "nxdomain", lease_ms });
      assert.equal(r.status, 400, JSON.stringify(lease_ms));
      assert.match(String(r.body.error), /lease_ms: expected milliseconds > 0/);
    }
    const list = (await (await fetch(`${apiUrl}/toxics`)).json()) as unknown[];
    assert.equal(list.length, 0, "no toxic was added without its lease");
  });

  it("responses say delay_ms and lease_ms, as requests do", async () => {
    const r = await post({
      name: "api-names",
      names: "api-names.*",
      answer: "delay",
      delay_ms: 50,
      lease_ms: 60_000,
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.delay_ms, 50);
    assert.equal(r.body.lease_ms, 60_000);
    assert.equal("delayMs" in r.body, false);
    const list = (await (await fetch(`${apiUrl}/toxics`)).json()) as Record<string, unknown>[];
    assert.equal(list[0]?.delay_ms, 50);
    assert.equal(list[0] && "delayMs" in list[0], false);
    assert.equal((await fetch(`${apiUrl}/toxics/api-names`, { method: "DELETE" })).status, 204);
  });
});

describe("withstand dns behaves as a DNS server should", () => {
  /** One raw UDP message to the server; resolves with its answer, or undefined after `waitMs`. */
  async function udp(msg: Buffer, waitMs = 1500): Promise<Buffer | undefined> {
    const { createSocket } = await import("node:dgram");
    const sock = createSocket("udp4");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        sock.close();
        resolve(undefined);
      }, waitMs);
      sock.on("message", (m) => {
        clearTimeout(timer);
        sock.close();
        resolve(m);
      });
      sock.send(msg, dnsPort, "127.0.0.1");
    });
  }
  const query = (opcode: number, qr = false) => {
    const q = dnsPacket.encode({
      id: 4242,
      type: "query",
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: "A", name: "inventory.demo" }],
    });
    q.writeUInt16BE((q.readUInt16BE(2) & ~0x7800) | (opcode << 11) | (qr ? 0x8000 : 0), 2);
    return q;
  };

  it("answers a plain query, drops a packet that is itself a response (QR=1)", async () => {
    assert.ok(await udp(query(0)), "a query is answered");
    assert.equal(await udp(query(0, true)), undefined, "a response is never answered");
  });

  it("refuses UPDATE and answers NOTIFY with NOTIMP, keeping the opcode", async () => {
    const update = await udp(query(5));
    assert.ok(update);
    assert.equal(update.readUInt16BE(2) & 0xf, 5, "UPDATE: REFUSED");
    assert.equal((update.readUInt16BE(2) >> 11) & 0xf, 5);
    const notify = await udp(query(4));
    assert.ok(notify);
    assert.equal(notify.readUInt16BE(2) & 0xf, 4, "NOTIFY: NOTIMP");
  });

  it("closes a TCP connection that sends nothing, or half a message, after its idle timeout", async () => {
    const { connect } = await import("node:net");
    const closed = (half: boolean) =>
      new Promise<boolean>((resolve, reject) => {
        const sock = connect(dnsPort, "127.0.0.1", () => {
          if (half) sock.write(Buffer.from([0, 40, 1, 2, 3]));
        });
        sock.on("error", reject);
        sock.on("close", () => resolve(true));
        sock.resume();
      });
    assert.deepEqual(await Promise.all([closed(false), closed(true)]), [true, true]);
  });

  it("holds at most 128 TCP clients: the 129th is closed at once while the others stay open, UDP still answers", async () => {
    const { connect } = await import("node:net");
    const open = (): Promise<import("node:net").Socket> =>
      new Promise((resolve, reject) => {
        const sock = connect(dnsPort, "127.0.0.1", () => resolve(sock));
        sock.on("error", reject);
        sock.resume();
      });
    const held = await Promise.all(Array.from({ length: 128 }, open));
    let closedEarly = 0;
    for (const s of held) s.on("close", () => closedEarly++);
    try {
      const extra = await open();
      await new Promise((resolve) => extra.on("close", resolve));
      // The first 128 would close first (they are older) if only the idle timeout ended connections.
      assert.equal(closedEarly, 0, "the 128 held connections are still open when the 129th is refused");
      assert.ok(await udp(query(0)), "UDP is still answered");
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it("warns of an open resolver when it forwards off loopback", async () => {
    const api = await freePort();
    const child = startCli(
      ["dns", "--listen", "0.0.0.0:0", "--api", `127.0.0.1:${api}`, "--upstream", "127.0.0.1:53"],
      { env },
    );
    const done = finished(child);
    await waitForOutput(child, "withstand dns on udp+tcp");
    child.kill("SIGTERM");
    const r = await done;
    assert.match(r.stderr, /an open resolver/);
  });
});
