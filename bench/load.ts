/**
 * bench/load: withstand's load generator side by side with autocannon and wrk against nginx, in one run.
 * Prints req/s and ratios (goals: >= 1.3x autocannon, >= 0.8x wrk), open-model rate accuracy at 20k/s,
 * the p99 through a 1 s server stall (withstand vs wrk), and RSS over a long run at 5k/s.
 * Knobs: BENCH_SECONDS (peer runs, default 10), BENCH_MEMORY_SECONDS (default 300).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "../src/core/stats.js";
import { freePort } from "../src/proxy/listen.js";
import { recordSummary } from "./summary.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "withstand");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 300);
const CONNECTIONS = 64;
const dir = mkdtempSync(join(tmpdir(), "withstand-load-bench-"));
const env = { ...process.env, WITHSTAND_STORE: join(dir, "store.db"), CI: "true" };
const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();
const pin = (core: number, cmd: string[]): string[] =>
  hasTaskset ? ["taskset", "-c", String(core), ...cmd] : cmd;

function run(
  cmd: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; code: number | null; pid: number }> {
  return new Promise((resolve) => {
    const [file = "", ...args] = cmd;
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", () => undefined);
    child.on("close", (code) => resolve({ stdout, code, pid: child.pid ?? 0 }));
  });
}

async function startNginx(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server { listen 127.0.0.1:${port}; location / { return 200 "hello world\\n"; } }
}
`,
  );
  const [file = "", ...args] = pin(0, ["nginx", "-c", conf, "-p", dir]);
  const child = spawn(file, args, { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if (res.ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url: `http://127.0.0.1:${port}/`, child };
}

async function withstandLoad(args: string[]): Promise<Record<string, { values: Record<string, number> }>> {
  const summary = join(dir, `summary-${Date.now()}.json`);
  // handleSummary's shape (metrics.NAME.values.rate); --summary-json is k6's flat export shape.
  await run(pin(1, [BIN, "load", ...args, "--summary-data", summary, "--quiet"]), { env });
  return JSON.parse(readFileSync(summary, "utf8")).metrics;
}

const nginx = await startNginx();
console.log(
  `bench/load: nginx at ${nginx.url}${hasTaskset ? " (nginx on core 0, generators on core 1)" : ""}; ${CONNECTIONS} connections, ${SECONDS}s each`,
);
try {
  // 1. Throughput at equal connections, one generator core; three interleaved rounds, median of each.
  const rounds = { withstand: [] as number[], autocannon: [] as number[], wrk: [] as number[] };
  for (let round = 0; round < 3; round++) {
    rounds.withstand.push(
      (await withstandLoad([nginx.url, "--connections", String(CONNECTIONS), "--duration", `${SECONDS}s`]))
        .http_reqs?.values.rate ?? 0,
    );
    const ac = await run(
      pin(1, [
        join(ROOT, "node_modules", ".bin", "autocannon"),
        "-c",
        String(CONNECTIONS),
        "-d",
        String(SECONDS),
        "-j",
        nginx.url,
      ]),
    );
    rounds.autocannon.push((JSON.parse(ac.stdout) as { requests: { average: number } }).requests.average);
    const wrk = await run(pin(1, ["wrk", "-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, nginx.url]));
    rounds.wrk.push(Number(/Requests\/sec:\s+([\d.]+)/.exec(wrk.stdout)?.[1] ?? 0));
  }
  const ours = median(rounds.withstand);
  const acRate = median(rounds.autocannon);
  const wrkRate = median(rounds.wrk);
  const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join("/");
  console.log(
    `throughput  withstand ${ours.toFixed(0)} req/s | autocannon ${acRate.toFixed(0)} req/s | wrk ${wrkRate.toFixed(0)} req/s (median of ${all(rounds.withstand)} | ${all(rounds.autocannon)} | ${all(rounds.wrk)})`,
  );
  console.log(
    `            ratio vs autocannon ${(ours / acRate).toFixed(2)}x (goal >= 1.3) | ratio vs wrk ${(ours / wrkRate).toFixed(2)}x (goal >= 0.8)`,
  );
  recordSummary({
    bench: "load",
    measure: `req/s, one core, ${CONNECTIONS} connections`,
    withstand: ours.toFixed(0),
    peer: `wrk ${wrkRate.toFixed(0)}`,
    ratio: `${(ours / wrkRate).toFixed(2)}x`,
    goal: ">= 0.8x",
  });
  recordSummary({
    bench: "load",
    measure: `req/s, one core, ${CONNECTIONS} connections`,
    withstand: ours.toFixed(0),
    peer: `autocannon ${acRate.toFixed(0)}`,
    ratio: `${(ours / acRate).toFixed(2)}x`,
    goal: ">= 1.3x",
  });

  // 2. Open-model rate accuracy at 20k req/s for 20 s.
  const acc = await withstandLoad([
    nginx.url,
    "--rate",
    "20000/s",
    "--duration",
    "20s",
    "--connections",
    "256",
  ]);
  const achieved = acc.http_reqs?.values.count ?? 0;
  const dropped = acc.dropped_iterations?.values.count ?? 0;
  console.log(
    `rate        20000/s for 20s: sent ${achieved} of 400000 (${((achieved / 400000) * 100).toFixed(2)}%, goal within 1%), dropped ${dropped}, p99 ${acc.http_req_duration?.values["p(99)"]} ms`,
  );
} finally {
  nginx.child.kill("SIGTERM");
}

// 3. Honesty under a stall: the server pauses once for 1 s during a 10 s run at 1k req/s.
const target = fileURLToPath(new URL("../test/helpers/target-server.js", import.meta.url));
async function stallServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [target, "--stall-at", "4000", "--stall-for", "1000"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout?.on("data", (d: Buffer) => resolve(Number(/port (\d+)/.exec(d.toString())?.[1]))),
  );
  return { url: `http://127.0.0.1:${port}/`, child };
}
{
  const s1 = await stallServer();
  const m = await withstandLoad([s1.url, "--rate", "1000/s", "--duration", "10s", "--connections", "64"]);
  s1.child.kill();
  const s2 = await stallServer();
  const w = await run(pin(1, ["wrk", "-t1", "-c64", "-d10s", "--latency", s2.url]));
  s2.child.kill();
  const wrkP99 = /99%\s+([\d.]+)(us|ms|s)/.exec(w.stdout);
  const wrkMs = wrkP99
    ? Number(wrkP99[1]) * (wrkP99[2] === "s" ? 1000 : wrkP99[2] === "us" ? 0.001 : 1)
    : Number.NaN;
  console.log(
    `stall       1 s pause at 1k req/s: withstand p99 ${m.http_req_duration?.values["p(99)"]} ms (goal >= 500) | service-time p99 ${m.http_req_service_duration?.values["p(99)"]} ms | wrk p99 ${wrkMs} ms (closed loop)`,
  );
}

// 4. Memory: a long run at 5k req/s; RSS sampled every 5 s.
{
  const server = spawn(process.execPath, [target], { stdio: ["ignore", "pipe", "ignore"] });
  const port = await new Promise<number>((resolve) =>
    server.stdout?.on("data", (d: Buffer) => resolve(Number(/port (\d+)/.exec(d.toString())?.[1]))),
  );
  const [file = "", ...args] = pin(1, [
    BIN,
    "load",
    `http://127.0.0.1:${port}/`,
    "--rate",
    "5000/s",
    "--duration",
    `${MEMORY_SECONDS}s`,
    "--quiet",
  ]);
  const gen = spawn(file, args, { env, stdio: "ignore" });
  const samples: { t: number; rss: number }[] = [];
  const started = Date.now();
  const rssOf = (pid: number): number | undefined => {
    // The generator is node behind /bin/sh and maybe taskset: read the node process's RSS.
    const out = execFileSync("ps", ["-eo", "pid,ppid,rss,args"], { encoding: "utf8" });
    const line = out.split("\n").find((l) => l.includes("entry.js load") && l.includes(String(port)));
    return line ? Number(line.trim().split(/\s+/)[2]) / 1024 : pid ? undefined : undefined;
  };
  while (gen.exitCode === null) {
    await new Promise((r) => setTimeout(r, 5000));
    const rss = rssOf(gen.pid ?? 0);
    if (rss !== undefined) samples.push({ t: (Date.now() - started) / 1000, rss });
  }
  server.kill();
  const half = samples.slice(Math.floor(samples.length / 2));
  const n = half.length;
  const mt = half.reduce((a, s) => a + s.t, 0) / n;
  const mr = half.reduce((a, s) => a + s.rss, 0) / n;
  const slope =
    half.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0) /
    (half.reduce((a, s) => a + (s.t - mt) ** 2, 0) || 1);
  const max = Math.max(...samples.map((s) => s.rss));
  console.log(
    `memory      ${MEMORY_SECONDS}s at 5000/s: max RSS ${max.toFixed(1)} MB (goal < 150), slope over the second half ${(slope * 60).toFixed(2)} MB/min`,
  );
}
