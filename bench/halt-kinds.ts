/**
 * bench/halt-kinds: `withstand halt` with one fault of every revertible kind active at once (cpu-stress,
 * memory-stress, disk-fill on a tmpfs of its own, clock-skew, dns, process-pause, network and
 * http-fault through a proxy API). Times from starting halt until every fault is seen reverted, and
 * fails loudly if any is left. Needs root for the tmpfs.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ProxyApi } from "../src/proxy/api.js";
import { BIN, resourceTargets } from "./resource-targets.js";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5);
const t = await resourceTargets("halt-kinds", "bench");
const { dir, env, fs, dnsUrl } = t;
const upstream = spawn(
  process.execPath,
  [
    "-e",
    "require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
  ],
  { stdio: ["ignore", "pipe", "ignore"] },
);
const upPort = await new Promise<number>((r) =>
  upstream.stdout?.once("data", (d: Buffer) => r(Number(d.toString()))),
);
const proxies = new ProxyApi();
const proxyUrl = `http://${await proxies.listen("127.0.0.1", 0)}`;
await proxies.collection.create({ name: "tcp", listen: "127.0.0.1:0", upstream: `127.0.0.1:${upPort}` });
await proxies.collection.create({
  name: "web",
  listen: "127.0.0.1:0",
  upstream: `127.0.0.1:${upPort}`,
  protocol: "http",
});
const victim = spawn(process.execPath, ["-e", "setInterval(()=>{},1000)", "withstand-halt-kinds-victim"], {
  stdio: "ignore",
});
const experiment = join(dir, "all.yaml");
writeFileSync(
  experiment,
  `apiVersion: withstand/v1
kind: Experiment
metadata: {name: every-kind}
spec:
  proxy-api: ${proxyUrl}
  method:
    - {type: action, name: cpu, fault: {kind: cpu-stress, load: 30%, cores: [0]}}
    - {type: action, name: memory, fault: {kind: memory-stress, size: 64MiB}}
    - {type: action, name: disk, fault: {kind: disk-fill, path: ${fs}, free: 2MiB}}
    - {type: action, name: clock, fault: {kind: clock-skew, clock: ${t.clock}, offset: +2h}}
    - {type: action, name: dns, fault: {kind: dns, server: ${dnsUrl}, names: "inventory.*", answer: nxdomain}}
    - {type: action, name: pause, fault: {kind: process-pause, select: {pid: ${victim.pid}}}}
    - {type: action, name: network, fault: {kind: network, proxy: tcp, toxic: {type: latency, attributes: {latency: 100}}}}
    - {type: action, name: http, fault: {kind: http-fault, proxy: web, toxic: {type: http_abort, attributes: {status: 503}}}}
    - {type: action, name: hold, provider: {type: process, path: sleep, arguments: ["60"]}}
`,
);

const paused = () =>
  readFileSync(`/proc/${victim.pid}/stat`, "utf8").split(") ")[1]?.startsWith("T") ?? false;
const faults = {
  ...t.active,
  pause: paused,
  network: () => proxies.collection.listToxics("tcp").length > 0,
  http: () => proxies.collection.listToxics("web").length > 0,
};
const active = () =>
  Object.entries(faults)
    .filter(([, on]) => on())
    .map(([k]) => k);

const samples: number[] = [];
try {
  for (let i = 0; i < ITERATIONS; i++) {
    const runner = spawn(BIN, ["run", experiment, "--quiet"], { env, stdio: "ignore" });
    const runnerDone = new Promise((r) => runner.on("close", r));
    const t0 = Date.now();
    while (active().length < Object.keys(faults).length) {
      if (Date.now() - t0 > 20_000) {
        runner.kill("SIGKILL");
        throw new Error(`not every fault came up: ${active().join(", ")}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const start = performance.now();
    const halt = spawn(BIN, ["halt"], { env, stdio: "ignore" });
    const haltDone = new Promise((r) => halt.on("close", r));
    while (active().length > 0) {
      if (performance.now() - start > 10_000) throw new Error(`halt left: ${active().join(", ")}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    samples.push(performance.now() - start);
    await haltDone;
    await runnerDone;
  }
} finally {
  victim.kill("SIGKILL");
  upstream.kill("SIGKILL");
  await proxies.close();
  await t.close();
}
samples.sort((a, b) => a - b);
console.log(
  `halt with ${Object.keys(faults).length} faults of different kinds active, ${ITERATIONS} runs: every one reverted each time; median ${samples[Math.floor(samples.length / 2)]?.toFixed(0)} ms, max ${samples.at(-1)?.toFixed(0)} ms`,
);
