/**
 * bench/flags: `withstand flags serve` (its own process) over OFREP beside flagd-core evaluating the
 * same 100 flags in-process (the floor), in the same run:
 *   1. single evaluations at 5,000 requests/s, open model (latency from each request's scheduled
 *      time), p50/p99, for BENCH_FLAGS_SECONDS (default 10 s);
 *   2. bulk evaluation of all 100 flags, one request at a time, p50/p99;
 *   3. `flags set` to a polling OFREP client's changed evaluation (the browser provider, polling at the
 *      server's minimum interval, 500 ms), median of 5 flips;
 *   4. the server's memory (RSS) over a soak of single evaluations at 2,000 requests/s for
 *      BENCH_FLAGS_SOAK seconds (default 60 s; the 10 minutes is BENCH_FLAGS_SOAK=600).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FlagdCore } from "@openfeature/flagd-core";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature, type Provider } from "@openfeature/web-sdk";
import { Pool } from "undici";
import { startProcess } from "./processes.js";
import { recordSummary } from "./summary.js";

const SECONDS = Number(process.env.BENCH_FLAGS_SECONDS ?? 10);
const SOAK = Number(process.env.BENCH_FLAGS_SOAK ?? 60);
const RATE = 5000;
const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const TOKEN = "bench-token-0123456789abcdef";
const silent = { error() {}, warn() {}, info() {}, debug() {} };

/** 100 flags: a quarter each static, if/in targeting, fractional, and sem_ver with a $ref. */
function flagFile(): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) {
    const base = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off" };
    const kind = i % 4;
    flags[`flag-${i}`] =
      kind === 0
        ? base
        : kind === 1
          ? { ...base, targeting: { if: [{ in: [{ var: "country" }, ["NO", "SE", "DK"]] }, "on", null] } }
          : kind === 2
            ? {
                ...base,
                targeting: {
                  fractional: [
                    ["on", i],
                    ["off", 100 - i],
                  ],
                },
              }
            : { ...base, targeting: { if: [{ $ref: "modern" }, "on", "off"] } };
  }
  return {
    $evaluators: { modern: { sem_ver: [{ var: "version" }, ">=", "2.0.0"] } },
    flags,
  };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const ctx = (i: number) => ({
  targetingKey: `user-${i}`,
  country: i % 3 ? "NO" : "US",
  version: i % 2 ? "2.1.0" : "1.9.0",
});

const dir = mkdtempSync(join(tmpdir(), "withstand-bench-flags-"));
const file = join(dir, "flags.json");
writeFileSync(file, JSON.stringify(flagFile()));
const { child, match } = await startProcess(
  BIN,
  ["flags", "serve", file, "--port", "0", "--token", `bench=${TOKEN}`, "--store", join(dir, "store.db")],
  /withstand flags on (\S+)/,
);
const url = match[1] ?? "";
const pool = new Pool(url, { connections: 64, pipelining: 1 });
const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

async function evaluate(key: string, i: number): Promise<void> {
  const res = await pool.request({
    path: `/ofrep/v1/evaluate/flags/${key}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ context: ctx(i) }),
  });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  await res.body.text();
}

/** Open-model load: request i is due at start + i/rate; its latency counts from then. */
async function openLoad(
  rate: number,
  seconds: number,
  onTick?: () => void,
): Promise<{ lat: number[]; errors: number; sent: number; seconds: number }> {
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inflight = new Set<Promise<void>>();
  let lastTick = start;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const scheduled = start + (sent / rate) * 1000;
      const i = sent;
      const p = evaluate(`flag-${i % 100}`, i).then(
        () => void lat.push(performance.now() - scheduled),
        () => void errors++,
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    if (onTick && now - lastTick >= 5000) {
      lastTick = now;
      onTick();
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  return { lat: lat.sort((a, b) => a - b), errors, sent, seconds: (performance.now() - start) / 1000 };
}

// The floor: flagd-core in this process, the same flags and contexts.
const core = new FlagdCore(undefined, silent);
core.setConfigurations(JSON.stringify(flagFile()));
function floor(n: number, bulk: boolean): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    if (bulk) core.resolveAll(ctx(i));
    else core.resolveBooleanEvaluation(`flag-${i % 100}`, false, ctx(i));
  return ((performance.now() - t0) * 1000) / n;
}

/** Closed loop: `concurrency` requests always in flight for `seconds`; answers per second. */
async function capacity(concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; performance.now() < end; i += concurrency) {
        await evaluate(`flag-${i % 100}`, i);
        done++;
      }
    }),
  );
  return done / seconds;
}

try {
  // Warm up both sides.
  await openLoad(1000, 2);
  floor(20_000, false);
  floor(2000, true);
  const load = loadavg()[0] ?? 0;
  const cap = await capacity(32, 5);
  const single = await openLoad(RATE, SECONDS);
  const singleFloorUs = floor(100_000, false);
  // Answers per second over the whole run, until the last answer: below RATE when the server falls behind.
  const achieved = single.lat.length / single.seconds;
  console.log(
    `bench/flags: 100 flags, OFREP over HTTP/1.1 keep-alive (64 connections) vs flagd-core in-process; machine load average ${load.toFixed(1)} on 2 cores`,
  );
  console.log(`  capacity, 32 requests in flight for 5 s: ${cap.toFixed(0)} single evaluations/s`);
  console.log(
    `  single evaluations at ${RATE}/s for ${SECONDS}s: ${single.sent} sent, ${single.errors} errors, ${achieved.toFixed(0)}/s answered; p50 ${pct(single.lat, 0.5).toFixed(2)} ms, p99 ${pct(single.lat, 0.99).toFixed(2)} ms (goal < 2 ms); flagd-core in-process ${singleFloorUs.toFixed(2)} us each`,
  );

  const bulkLat: number[] = [];
  for (let i = 0; i < 600; i++) {
    const t0 = performance.now();
    const res = await pool.request({
      path: "/ofrep/v1/evaluate/flags",
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ context: ctx(i) }),
    });
    const body = (await res.body.json()) as { flags: unknown[] };
    if (body.flags.length !== 100) throw new Error(`bulk gave ${body.flags.length} flags`);
    if (i >= 100) bulkLat.push(performance.now() - t0);
  }
  bulkLat.sort((a, b) => a - b);
  const bulkFloorUs = floor(5000, true);
  console.log(
    `  bulk of 100 flags, one at a time (500): p50 ${pct(bulkLat, 0.5).toFixed(2)} ms, p99 ${pct(bulkLat, 0.99).toFixed(2)} ms (goal < 5 ms); flagd-core resolveAll in-process ${(bulkFloorUs / 1000).toFixed(3)} ms`,
  );

  // Flip to a polling client's changed evaluation (the browser provider, in Node).
  await OpenFeature.setContext({ targetingKey: "flip-user" });
  await OpenFeature.setProviderAndWait(
    new OFREPWebProvider({ baseUrl: url, pollInterval: 500 }) as unknown as Provider,
  );
  const client = OpenFeature.getClient();
  const flips: number[] = [];
  for (let i = 0; i < 5; i++) {
    const want = i % 2 === 0;
    const t0 = performance.now();
    const res = await fetch(`${url}/api/flags/flag-0`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ variant: want ? "on" : "off", reason: "bench" }),
    });
    if (!res.ok) throw new Error(`PATCH: ${res.status}`);
    while (client.getBooleanValue("flag-0", !want) !== want) await new Promise((r) => setTimeout(r, 5));
    flips.push(performance.now() - t0);
  }
  await OpenFeature.close();
  flips.sort((a, b) => a - b);
  console.log(
    `  flip (PATCH, as flags set sends it) -> polling client's changed evaluation, poll 500 ms: median ${pct(flips, 0.5).toFixed(0)} ms, max ${(flips.at(-1) ?? 0).toFixed(0)} ms`,
  );

  const samples: number[] = [rss()];
  const soak = await openLoad(2000, SOAK, () => samples.push(rss()));
  samples.push(rss());
  const first = samples[1] ?? samples[0] ?? 0;
  const last = samples.at(-1) ?? 0;
  console.log(
    `  memory over a ${SOAK}s soak at 2000/s (${soak.sent} requests, ${soak.errors} errors): RSS ${samples.map((s) => s.toFixed(0)).join(" ")} MB; first 5 s ${first.toFixed(0)} MB -> end ${last.toFixed(0)} MB`,
  );

  recordSummary({
    bench: "flags",
    measure: `OFREP single eval at ${RATE}/s, p99`,
    withstand: `${pct(single.lat, 0.99).toFixed(2)} ms`,
    peer: `flagd-core in-process ${singleFloorUs.toFixed(1)} us`,
    ratio: `${((pct(single.lat, 0.5) * 1000) / singleFloorUs).toFixed(0)}x (p50)`,
    goal: "p99 < 2 ms",
  });
  recordSummary({
    bench: "flags",
    measure: "OFREP bulk of 100 flags, p99",
    withstand: `${pct(bulkLat, 0.99).toFixed(2)} ms`,
    peer: `flagd-core resolveAll ${(bulkFloorUs / 1000).toFixed(2)} ms`,
    ratio: `${((pct(bulkLat, 0.5) * 1000) / bulkFloorUs).toFixed(1)}x (p50)`,
    goal: "< 5 ms",
  });
  recordSummary({
    bench: "flags",
    measure: `server RSS over ${SOAK}s at 2000/s`,
    withstand: `${first.toFixed(0)} -> ${last.toFixed(0)} MB`,
    peer: "-",
    ratio: "-",
    goal: "flat",
  });
} finally {
  await pool.close();
  child.kill("SIGTERM");
}
