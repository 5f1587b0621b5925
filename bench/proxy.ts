import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mean, median } from "../src/core/stats.js";
import { freePort } from "../src/proxy/listen.js";
import { has, listening, startProcess } from "./processes.js";
import { recordSummary } from "./summary.js";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const TARGET = fileURLToPath(new URL("../test/helpers/target-server.js", import.meta.url));
const N = Number(process.env.BENCH_N ?? 4000);
const BULK_BYTES = Number(process.env.BENCH_BULK_MB ?? 1024) * 1024 * 1024;

/**
 * HAProxy in TCP mode, when installed: a C proxy beside ours, so each figure shows what any proxy
 * costs on this machine (on a small VM even a direct connection moves well under 1 GB/s).
 */
async function startHaproxy(routes: { port: number; to: number }[]): Promise<ChildProcess | undefined> {
  if (!has("haproxy")) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "bench-proxy-haproxy-"));
  const cfg = [
    "global\n  nbthread 1\n  maxconn 1000",
    "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s",
    ...routes.map((r, i) => `listen l${i}\n  bind 127.0.0.1:${r.port}\n  server s 127.0.0.1:${r.to}`),
  ].join("\n");
  writeFileSync(join(dir, "haproxy.cfg"), `${cfg}\n`);
  const child = spawn("haproxy", ["-f", join(dir, "haproxy.cfg"), "-db"], { stdio: "ignore" });
  try {
    for (const r of routes) await listening(r.port);
    return child;
  } catch {
    child.kill();
    return undefined;
  }
}

async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function get(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", reject);
    req.end();
  });
}

async function timeRequests(port: number, n: number): Promise<number[]> {
  for (let i = 0; i < 50; i++) await get(port);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await get(port);
    out.push(performance.now() - t);
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};

const target = await startProcess(process.execPath, [TARGET], /port (\d+)/);
const targetPort = Number(target.match[1]);
const apiPort = await freePort();
const proxy = await startProcess(BIN, ["proxy", "--port", String(apiPort)], /Toxiproxy-compatible API/);
const base = `http://127.0.0.1:${apiPort}`;
try {
  const p = await api(base, "POST", "/proxies", {
    name: "bench",
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${targetPort}`,
  });
  const proxyPort = Number(String(p.listen).split(":").pop());

  // A sink for the bulk test, and HAProxy (TCP mode) in front of the target and the sink.
  let received = 0;
  const sink = createServer((s) => s.on("data", (d: Buffer) => (received += d.length)));
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  const sinkPort = (sink.address() as AddressInfo).port;
  const haTarget = await freePort();
  const haSink = await freePort();
  const haproxy = await startHaproxy([
    { port: haTarget, to: targetPort },
    { port: haSink, to: sinkPort },
  ]);

  // 1. Round trip, interleaved rounds so drift hits every side alike; each round gives a ratio to the
  // direct connection of that round, and the median of those is the figure.
  const direct: number[] = [];
  const proxied: number[] = [];
  const viaHaproxy: number[] = [];
  const ratios = { proxied: [] as number[], haproxy: [] as number[], vsHaproxy: [] as number[] };
  const rounds = 8;
  for (let round = 0; round < rounds; round++) {
    const d = await timeRequests(targetPort, N / rounds);
    const h = haproxy ? await timeRequests(haTarget, N / rounds) : [];
    const p = await timeRequests(proxyPort, N / rounds);
    direct.push(...d);
    viaHaproxy.push(...h);
    proxied.push(...p);
    ratios.proxied.push(mean(p) / mean(d));
    if (haproxy) {
      ratios.haproxy.push(mean(h) / mean(d));
      ratios.vsHaproxy.push(mean(p) / mean(h));
    }
  }
  const proxiedRatio = median(ratios.proxied);
  const haRatio = haproxy
    ? ` | HAProxy (tcp) mean ${mean(viaHaproxy).toFixed(3)} ms, ${median(ratios.haproxy).toFixed(2)}x | withstand / HAProxy ${median(ratios.vsHaproxy).toFixed(2)}x`
    : "";
  console.log(
    `round trip  direct mean ${mean(direct).toFixed(3)} ms p50 ${pct(direct, 50).toFixed(3)} | proxied mean ${mean(proxied).toFixed(3)} ms p50 ${pct(proxied, 50).toFixed(3)} | ratio ${proxiedRatio.toFixed(2)}x (median of ${rounds} interleaved rounds' means; goal <= 1.3x; Toxiproxy's own benchmark ~1.95x)${haRatio}`,
  );

  recordSummary({
    bench: "proxy",
    measure: "round trip, toxic-free, c=1 (mean)",
    withstand: `${mean(proxied).toFixed(3)} ms`,
    peer: `direct ${mean(direct).toFixed(3)} ms${haproxy ? `, HAProxy ${median(ratios.haproxy).toFixed(2)}x (we are ${median(ratios.vsHaproxy).toFixed(2)}x it)` : ""}`,
    ratio: `${proxiedRatio.toFixed(2)}x`,
    goal: "<= 1.3x",
  });
  // 2. Bulk throughput: one connection streams BULK_BYTES into a sink, direct, through HAProxy and
  // through the proxy, in interleaved rounds.
  const bp = await api(base, "POST", "/proxies", {
    name: "bulk",
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${sinkPort}`,
  });
  const bulkPort = Number(String(bp.listen).split(":").pop());
  const chunk = Buffer.alloc(256 * 1024, 1);
  const bulk = async (port: number): Promise<number> => {
    received = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const s = connect({ port, host: "127.0.0.1" }, () => {
        let sent = 0;
        const pump = () => {
          while (sent < BULK_BYTES) {
            sent += chunk.length;
            if (!s.write(chunk)) return void s.once("drain", pump);
          }
          s.end();
        };
        pump();
      });
      const check = setInterval(() => {
        if (received >= BULK_BYTES) {
          clearInterval(check);
          resolve();
          s.destroy();
        }
      }, 5);
    });
    return BULK_BYTES / 1e9 / ((performance.now() - started) / 1000);
  };
  const gbps = { direct: [] as number[], haproxy: [] as number[], withstand: [] as number[] };
  for (let round = 0; round < 3; round++) {
    gbps.direct.push(await bulk(sinkPort));
    if (haproxy) gbps.haproxy.push(await bulk(haSink));
    gbps.withstand.push(await bulk(bulkPort));
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join("/");
  console.log(
    `throughput  ${(BULK_BYTES / 1e9).toFixed(2)} GB each, median of 3: proxy ${median(gbps.withstand).toFixed(2)} GB/s (${fmt(gbps.withstand)}) | direct ${median(gbps.direct).toFixed(2)} GB/s (${fmt(gbps.direct)})${haproxy ? ` | HAProxy (tcp) ${median(gbps.haproxy).toFixed(2)} GB/s (${fmt(gbps.haproxy)})` : ""} (goal >= 1 GB/s)`,
  );
  sink.close();
  haproxy?.kill();
  recordSummary({
    bench: "proxy",
    measure: "bulk throughput, one connection",
    withstand: `${median(gbps.withstand).toFixed(2)} GB/s`,
    peer: haproxy
      ? `HAProxy ${median(gbps.haproxy).toFixed(2)}, direct ${median(gbps.direct).toFixed(2)}`
      : `direct ${median(gbps.direct).toFixed(2)}`,
    ratio: haproxy ? `${(median(gbps.withstand) / median(gbps.haproxy)).toFixed(2)}x HAProxy` : "-",
    goal: ">= 1 GB/s",
  });

  // 3. Latency toxic accuracy: 100 ms downstream latency on a second proxy to the same target. Requests
  // alternate between it and the untoxic one, so a noisy moment of the machine falls on both alike;
  // what the toxic adds at a quantile is that quantile with it minus without it.
  const sp0 = await api(base, "POST", "/proxies", {
    name: "slow",
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${targetPort}`,
  });
  const slowPort = Number(String(sp0.listen).split(":").pop());
  await api(base, "POST", "/proxies/slow/toxics", {
    type: "latency",
    attributes: { latency: 100, jitter: 0 },
  });
  await get(slowPort);
  const plain: number[] = [];
  const slow: number[] = [];
  for (let i = 0; i < 400; i++) {
    for (const [port, into] of [
      [proxyPort, plain],
      [slowPort, slow],
    ] as const) {
      const t = performance.now();
      await get(port);
      into.push(performance.now() - t);
    }
  }
  const addedP99 = pct(slow, 99) - pct(plain, 99);
  console.log(
    `latency     toxic 100 ms: added at p50 ${(pct(slow, 50) - pct(plain, 50)).toFixed(2)} ms, at p99 ${addedP99.toFixed(2)} ms (goal 100 ± 2; 400 requests each, alternating with the untoxic proxy) | with it: p99 ${pct(slow, 99).toFixed(2)} ms, max ${pct(slow, 100).toFixed(2)} ms; without: p99 ${pct(plain, 99).toFixed(2)} ms, max ${pct(plain, 100).toFixed(2)} ms`,
  );
  recordSummary({
    bench: "proxy",
    measure: "latency toxic 100 ms, added at p99",
    withstand: `${addedP99.toFixed(2)} ms`,
    peer: "-",
    ratio: "-",
    goal: "100 ± 2 ms",
  });
  // 4. Soak: many connections, each echoing a small message every second.
  const conns = Number(process.env.BENCH_SOAK_CONNECTIONS ?? 5000);
  const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
  const echo = createServer((s) => {
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const sp = await api(base, "POST", "/proxies", {
    name: "soak",
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${(echo.address() as AddressInfo).port}`,
  });
  const soakPort = Number(String(sp.listen).split(":").pop());
  const pid = proxy.child.pid ?? 0;
  const fdsOf = () => readdirSync(`/proc/${pid}/fd`).length;
  const rssOf = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  const fdsBefore = fdsOf();
  const sockets = [];
  let echoed = 0;
  for (let i = 0; i < conns; i++) {
    const s = connect({ port: soakPort, host: "127.0.0.1" });
    s.on("data", (d: Buffer) => (echoed += d.length));
    s.on("error", () => undefined);
    sockets.push(s);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50));
  }
  const ping = Buffer.from("withstand-soak!\n");
  const samples: { t: number; fds: number; rss: number }[] = [];
  const soakStart = performance.now();
  while (performance.now() - soakStart < soakSeconds * 1000) {
    for (const s of sockets) s.write(ping);
    await new Promise((r) => setTimeout(r, 1000));
    const t = (performance.now() - soakStart) / 1000;
    if (samples.length === 0 || t - (samples.at(-1)?.t ?? 0) >= 5)
      samples.push({ t, fds: fdsOf(), rss: rssOf() });
  }
  const open = samples.map((x) => x.fds);
  const rss = samples.map((x) => x.rss);
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 1000));
  console.log(
    `soak        ${conns} connections x ${soakSeconds}s: proxy fds ${fdsBefore} -> ${Math.min(...open)}..${Math.max(...open)} while open -> ${fdsOf()} after close; RSS ${Math.min(...rss).toFixed(0)}..${Math.max(...rss).toFixed(0)} MB (first ${rss[0]?.toFixed(0)}, last ${rss.at(-1)?.toFixed(0)}); ${(echoed / 1e6).toFixed(1)} MB echoed`,
  );
  echo.close();
} finally {
  proxy.child.kill("SIGTERM");
  target.child.kill("SIGTERM");
  agent.destroy();
}
