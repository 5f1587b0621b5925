/**
 * bench/router-haproxy: the canary router beside HAProxy (Debian's), both splitting 80/20 between two
 * backends, each pinned to core 0; nginx and wrk share core 1. Prints req/s at 32 connections and the
 * added latency at concurrency 1 for both, in interleaved rounds (median of BENCH_ROUNDS, default 3).
 *
 * A third contender is what a router made of HAProxy would cost: HAProxy with its weights set through
 * its runtime API, logging every request over UDP to a receiver on the same core (bench/syslog-sink),
 * which is where withstand would get the judge's per-request samples.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "../src/core/stats.js";
import { freePort } from "../src/proxy/listen.js";
import { has, listening, startProcess } from "./processes.js";
import { recordSummary } from "./summary.js";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const SINK = fileURLToPath(new URL("./syslog-sink.js", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), "bench-haproxy-"));

function wrk(url: string, connections: number): { rps: number; p50Ms: number; requests: number } {
  const out = execFileSync(
    "taskset",
    ["-c", "1", "wrk", "-t1", `-c${connections}`, `-d${SECONDS}s`, "--latency", url],
    {
      encoding: "utf8",
    },
  );
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(out);
  const unit = p50?.[2] === "us" ? 0.001 : p50?.[2] === "s" ? 1000 : 1;
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50Ms: Number(p50?.[1] ?? 0) * unit,
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
  };
}

/** One command to HAProxy's runtime API (its stats socket); resolves with the answer. */
async function runtimeApi(socketPath: string, command: string): Promise<string> {
  const s = connect(socketPath);
  s.end(`${command}\n`);
  let answer = "";
  s.on("data", (d: Buffer) => {
    answer += d.toString();
  });
  await once(s, "close");
  return answer.trim();
}

async function main(): Promise<void> {
  if (!has("haproxy") || !has("nginx") || !has("wrk") || !has("taskset")) {
    console.log(
      "bench/router-haproxy: needs haproxy, nginx, wrk and taskset (make bench installs them); skipped",
    );
    return;
  }
  const children: ChildProcess[] = [];
  try {
    const nginxPort = await freePort();
    writeFileSync(
      join(dir, "nginx.conf"),
      `worker_processes 1;\ndaemon off;\nerror_log ${dir}/nginx.err;\npid ${dir}/nginx.pid;\nevents { worker_connections 4096; }\nhttp { access_log off; server { listen 127.0.0.1:${nginxPort}; location / { return 200 "ok\\n"; } } }\n`,
    );
    const nginx = spawn("taskset", ["-c", "1", "nginx", "-c", join(dir, "nginx.conf"), "-p", dir], {
      stdio: "ignore",
    });
    children.push(nginx);
    const target = `http://127.0.0.1:${nginxPort}/`;
    await listening(nginxPort);
    const haPort = await freePort();
    const drivenPort = await freePort();
    const sink = await startProcess("taskset", ["-c", "0", process.execPath, SINK], /port (\d+)/);
    children.push(sink.child);
    const apiSocket = join(dir, "haproxy.sock");
    // be_driven starts with all traffic on stable; the runtime API moves 20% to the canary, as a
    // rollout step would.
    writeFileSync(
      join(dir, "haproxy.cfg"),
      `global\n  nbthread 1\n  maxconn 4096\n  stats socket ${apiSocket} mode 600 level admin\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\nfrontend fe\n  bind 127.0.0.1:${haPort}\n  default_backend be\nbackend be\n  balance random\n  server stable 127.0.0.1:${nginxPort} weight 80\n  server canary 127.0.0.1:${nginxPort} weight 20\nfrontend fe_driven\n  bind 127.0.0.1:${drivenPort}\n  log 127.0.0.1:${sink.match[1]} local0\n  log-format "%s %ST %Tr"\n  default_backend be_driven\nbackend be_driven\n  balance random\n  server stable 127.0.0.1:${nginxPort} weight 100\n  server canary 127.0.0.1:${nginxPort} weight 0\n`,
    );
    const haproxy = spawn("taskset", ["-c", "0", "haproxy", "-f", join(dir, "haproxy.cfg"), "-db"], {
      stdio: "ignore",
    });
    children.push(haproxy);
    await listening(haPort);
    await runtimeApi(apiSocket, "set weight be_driven/stable 80");
    await runtimeApi(apiSocket, "set weight be_driven/canary 20");
    const weight = await runtimeApi(apiSocket, "get weight be_driven/canary");
    if (!weight.startsWith("20 ")) throw new Error(`HAProxy's runtime API did not set the weight: ${weight}`);
    const file = join(dir, "r.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1\nkind: Rollout\nmetadata: {name: bench}\nspec:\n  listen: 127.0.0.1:0\n  stable: {url: "${target}"}\n  canary: {url: "${target}"}\n  steps:\n    - setWeight: 20\n    - pause: {}\n`,
    );
    const env = {
      ...process.env,
      CI: "true",
      WITHSTAND_STATE_DIR: join(dir, "state"),
      WITHSTAND_STORE: join(dir, "s.db"),
    };
    const router = await startProcess(
      "taskset",
      ["-c", "0", BIN, "rollout", file],
      /router on (http:\/\/[\d.:]+)/,
      env,
    );
    children.push(router.child);
    const routed = `${router.match[1]}/`;
    const haproxied = `http://127.0.0.1:${haPort}/`;
    const contenders = [
      ["direct", target],
      ["haproxy", haproxied],
      ["driven", `http://127.0.0.1:${drivenPort}/`],
      ["router", routed],
    ] as const;
    type Name = (typeof contenders)[number][0];
    const rounds: Record<Name, number[]> = { direct: [], haproxy: [], driven: [], router: [] };
    const lat: Record<Name, number[]> = { direct: [], haproxy: [], driven: [], router: [] };
    let drivenRequests = 0;
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, url] of contenders) {
        const busy = wrk(url, 32);
        const one = wrk(url, 1);
        rounds[name].push(busy.rps);
        lat[name].push(one.p50Ms);
        if (name === "driven") drivenRequests += busy.requests + one.requests;
      }
    }
    sink.child.kill("SIGTERM");
    const [logged] = (await once(sink.child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
    const sunk = JSON.parse(logged.toString()) as { lines: number };
    const r = median(rounds.router);
    const h = median(rounds.haproxy);
    const dr = median(rounds.driven);
    const d = median(rounds.direct);
    // Ratios and added latencies are taken within each round, then their median: the machine drifts
    // between rounds, and a round's contenders run back to back.
    const perRound = (f: (i: number) => number) => median(rounds.direct.map((_, i) => f(i)));
    const ratio = (a: Name, b: Name) => perRound((i) => (rounds[a][i] ?? 0) / (rounds[b][i] ?? 1));
    const added = (name: Name) => perRound((i) => (lat[name][i] ?? 0) - (lat.direct[i] ?? 0));
    const addR = added("router");
    const addH = added("haproxy");
    console.log(
      `router vs HAProxy, 80/20, one core each: router ${r.toFixed(0)} req/s | HAProxy ${h.toFixed(0)} req/s | direct ${d.toFixed(0)} req/s (medians of ${ROUNDS}) | ratio ${ratio("router", "haproxy").toFixed(2)}x (median of the rounds' ratios; goal >= 0.5)`,
    );
    console.log(
      `added p50 latency at concurrency 1 (median of the rounds'): router +${addR.toFixed(3)} ms | HAProxy +${addH.toFixed(3)} ms (direct ${median(lat.direct).toFixed(3)} ms; goal: no more than HAProxy)`,
    );
    console.log(
      `HAProxy driven as a router (weights through its runtime API, every request logged to a receiver on its core): ${dr.toFixed(0)} req/s (${ratio("driven", "haproxy").toFixed(2)}x HAProxy alone), added p50 +${added("driven").toFixed(3)} ms; ${sunk.lines} of ${drivenRequests} requests logged`,
    );
    recordSummary({
      bench: "router-haproxy",
      measure: "req/s at 32 conns, 80/20",
      withstand: r.toFixed(0),
      peer: `HAProxy ${h.toFixed(0)}`,
      ratio: `${ratio("router", "haproxy").toFixed(2)}x`,
      goal: ">= 0.5x",
    });
    recordSummary({
      bench: "router-haproxy",
      measure: "added p50 latency, c=1",
      withstand: `+${addR.toFixed(3)} ms`,
      peer: `HAProxy +${addH.toFixed(3)} ms`,
      ratio: `${(addR / Math.max(addH, 0.001)).toFixed(2)}x`,
      goal: "<= 1x",
    });
    recordSummary({
      bench: "router-haproxy",
      measure: "HAProxy as the router, logging each request",
      withstand: `router ${r.toFixed(0)} req/s, +${addR.toFixed(3)} ms`,
      peer: `${dr.toFixed(0)} req/s, +${added("driven").toFixed(3)} ms`,
      ratio: `${ratio("router", "driven").toFixed(2)}x`,
      goal: "-",
    });
  } finally {
    for (const c of children) c.kill("SIGTERM");
  }
}

await main();
