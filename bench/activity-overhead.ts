/**
 * bench/activity-overhead: what an http probe and a process probe cost on top of a bare undici request
 * and a bare spawn, measured side by side in one run. Goal: at most 0.3 ms added per activity.
 */

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { EventBus } from "../src/core/events.js";
import type { RawActivity } from "../src/core/experiment.js";
import { NO_SERVICES } from "../src/core/service.js";
import { median } from "../src/core/stats.js";
import { runActivity } from "../src/engine/activity.js";
import type { RunContext } from "../src/engine/context.js";
import { probeServices } from "../src/engine/probe-services.js";
import { closeHttpAgents } from "../src/probes/http.js";
import { SafetyRegistry } from "../src/safety/registry.js";

const N = Number(process.env.BENCH_N ?? 400);
const ROUNDS = 5;

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end('{"ok":true}');
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;

const bus = new EventBus();
bus.on(() => undefined);
const stateRoot = mkdtempSync(join(tmpdir(), "withstand-bench-"));
const ctx: RunContext = {
  runId: "bench",
  bus,
  registry: new SafetyRegistry(stateRoot, "bench", bus, "bench"),
  native: false,
  dryRun: false,
  allowRemote: false,
  configuration: { url },
  secrets: {},
  secretValues: [],
  saved: {},
  services: NO_SERVICES,
  loads: new Map(),
  probes: probeServices(process.cwd()),
};
const signal = new AbortController().signal;
const httpActivity: RawActivity = {
  raw: {
    type: "probe",
    name: "health",
    tolerance: 200,
    provider: { type: "http", url: "${url}", timeout: 5 },
  },
  loc: "bench:1:1",
};
const procActivity: RawActivity = {
  raw: {
    type: "probe",
    name: "true",
    tolerance: 0,
    provider: { type: "process", path: "true", arguments: [] },
  },
  loc: "bench:1:1",
};
const agent = new Agent({ keepAliveTimeout: 4000 });

async function time(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const start = performance.now();
  for (let i = 0; i < N; i++) await fn();
  return (performance.now() - start) / N;
}

const bareHttp = () => request(url, { dispatcher: agent }).then((r) => r.body.text());
const bareSpawn = () =>
  new Promise<void>((resolve) =>
    spawn("true", [], { stdio: ["ignore", "pipe", "pipe"] }).on("close", () => resolve()),
  );
const probeHttp = () => runActivity(httpActivity, "hypothesis-before", "hypothesis", ctx, signal);
const probeProc = () => runActivity(procActivity, "hypothesis-before", "hypothesis", ctx, signal);

// Interleave rounds so drift on a shared machine hits both sides alike; report the median round.
const results = {
  bareHttp: [] as number[],
  probeHttp: [] as number[],
  bareSpawn: [] as number[],
  probeProc: [] as number[],
};
for (let round = 0; round < ROUNDS; round++) {
  results.bareHttp.push(await time(bareHttp));
  results.probeHttp.push(await time(probeHttp));
  results.bareSpawn.push(await time(bareSpawn));
  results.probeProc.push(await time(probeProc));
}
const line = (label: string, bare: number, ours: number) =>
  `${label.padEnd(14)} bare ${bare.toFixed(3)} ms  withstand ${ours.toFixed(3)} ms  added ${(ours - bare).toFixed(3)} ms  ratio ${(ours / bare).toFixed(2)}x  ${ours - bare <= 0.3 ? "OK (goal <= 0.3 ms)" : "OVER goal 0.3 ms"}`;
console.log(`activity overhead, ${N} activities x ${ROUNDS} rounds, median round`);
console.log(line("http probe", median(results.bareHttp), median(results.probeHttp)));
console.log(line("process probe", median(results.bareSpawn), median(results.probeProc)));
await ctx.registry.close();
await agent.close();
await closeHttpAgents();
server.close();
