/**
 * bench/router: the canary router's overhead against a direct request, in one run.
 * 1. round trip at concurrency 1 (p50, p99): direct to the target vs through `withstand rollout`'s router
 * 2. throughput at 32 connections, closed model, with wrk when installed (else withstand load)
 * The router runs in its own process (a real `withstand rollout` at 50% paused), the target in another.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "./processes.js";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const TARGET = fileURLToPath(new URL("../test/helpers/target-server.js", import.meta.url));
const N = Number(process.env.BENCH_N ?? 3000);

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function get(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", reject);
    req.end();
  });
}

async function roundTrips(url: string): Promise<number[]> {
  for (let i = 0; i < 200; i++) await get(url);
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await get(url);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

function throughput(url: string): number {
  try {
    const out = execFileSync("wrk", ["-t1", "-c32", "-d5s", url], { encoding: "utf8" });
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  } catch {
    console.log("wrk is not installed (make bench installs it): throughput skipped");
    return 0;
  }
}

async function main(): Promise<void> {
  const target = await startProcess(process.execPath, [TARGET], /port (\d+)/);
  const direct = `http://127.0.0.1:${target.match[1]}/`;
  const dir = mkdtempSync(join(tmpdir(), "bench-router-"));
  const file = join(dir, "r.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Rollout
metadata: {name: bench-router}
spec:
  listen: 127.0.0.1:0
  stable: {url: "${direct}"}
  canary: {url: "${direct}"}
  steps:
    - setWeight: 50
    - pause: {}
`,
  );
  const env = {
    ...process.env,
    CI: "true",
    WITHSTAND_STATE_DIR: join(dir, "state"),
    WITHSTAND_STORE: join(dir, "s.db"),
  };
  const router = await startProcess(BIN, ["rollout", file], /router on (http:\/\/[\d.:]+)/, env);
  const routed = `${router.match[1]}/`;
  try {
    // Interleave so that machine noise hits both sides alike.
    const d1 = await roundTrips(direct);
    const r1 = await roundTrips(routed);
    const d2 = await roundTrips(direct);
    const r2 = await roundTrips(routed);
    const d = [...d1, ...d2].sort((a, b) => a - b);
    const r = [...r1, ...r2].sort((a, b) => a - b);
    console.log(
      `router round trip (concurrency 1, ${2 * N} requests each): direct p50 ${q(d, 0.5).toFixed(3)} ms p99 ${q(d, 0.99).toFixed(3)} ms; routed p50 ${q(r, 0.5).toFixed(3)} ms p99 ${q(r, 0.99).toFixed(3)} ms; overhead p50 +${(q(r, 0.5) - q(d, 0.5)).toFixed(3)} ms (${(q(r, 0.5) / q(d, 0.5)).toFixed(2)}x), p99 ${(q(r, 0.99) / q(d, 0.99)).toFixed(2)}x`,
    );
    const td = throughput(direct);
    const tr = throughput(routed);
    if (td > 0)
      console.log(
        `router throughput (wrk -c32, 5s): direct ${td.toFixed(0)} req/s, routed ${tr.toFixed(0)} req/s (${(tr / td).toFixed(2)}x)`,
      );
  } finally {
    router.child.kill("SIGINT");
    await new Promise((r) => router.child.once("exit", r));
    target.child.kill("SIGTERM");
  }
}

await main();
