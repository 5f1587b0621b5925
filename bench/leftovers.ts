/**
 * bench/leftovers: for each resource fault kind, BENCH_RUNS (20) runs of `withstand inject` SIGKILLed
 * at a random moment from 0 to 1.5 s after they start (before, during and after the injection); after
 * each, nothing may be left within 5 s: no stressor process, no fill file, no clock skew, no DNS
 * toxic. Prints, per kind, the runs and the slowest clean-up. Needs root for the tmpfs.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DnsApi } from "../src/dns/api.js";
import { DnsServer } from "../src/dns/server.js";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const dir = mkdtempSync(join(tmpdir(), "withstand-leftovers-"));
const state = join(dir, "state");
const env = { ...process.env, WITHSTAND_STATE_DIR: state, WITHSTAND_STORE: join(dir, "s.db"), CI: "true" };
const fs = join(dir, "fs");
execFileSync("mkdir", ["-p", fs]);
execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", fs]);
const dns = new DnsServer(undefined);
await dns.listen("127.0.0.1", 0);
const api = new DnsApi(dns);
const dnsUrl = `http://${await api.listen("127.0.0.1", 0)}`;
const clocked = spawn(
  BIN,
  ["exec", "--as", "left", "--", process.execPath, "-e", "setInterval(()=>{},1000)"],
  {
    env,
    stdio: "ignore",
  },
);
const clockFile = join(state, "clocks", "left.rc");
while (!existsSync(clockFile)) await new Promise((r) => setTimeout(r, 20));

const stressor = (name: string) =>
  readdirSync("/proc").some((p) => {
    try {
      return (
        /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`/faults/stressors/${name}.js`)
      );
    } catch {
      return false;
    }
  });
const kinds: { name: string; args: string[]; left: () => boolean }[] = [
  { name: "cpu-stress", args: ["--load", "30%", "--cores", "[0]"], left: () => stressor("cpu") },
  { name: "memory-stress", args: ["--size", "64MiB"], left: () => stressor("memory") },
  { name: "disk-fill", args: ["--path", fs, "--size", "4MiB"], left: () => readdirSync(fs).length > 0 },
  {
    name: "clock-skew",
    args: ["--clock", "left", "--offset", "+2h"],
    left: () => readFileSync(clockFile, "utf8").trim() !== "+0",
  },
  {
    name: "dns",
    args: ["--server", dnsUrl, "--names", "inventory.*", "--answer", "servfail"],
    left: () => dns.listToxics().length > 0,
  },
];

let failed = false;
try {
  for (const k of kinds) {
    let slowest = 0;
    let injectedBeforeKill = 0;
    for (let i = 0; i < RUNS; i++) {
      const runner = spawn(BIN, ["inject", k.name, ...k.args, "--json"], {
        env,
        stdio: ["ignore", "pipe", "ignore"],
      });
      let injected = false;
      runner.stdout?.on("data", (d: Buffer) => {
        if (d.toString().includes('"type":"fault-injected"')) injected = true;
      });
      const closed = new Promise((r) => runner.on("close", r));
      await new Promise((r) => setTimeout(r, Math.random() * 1500));
      if (injected) injectedBeforeKill++;
      runner.kill("SIGKILL");
      await closed;
      const t0 = performance.now();
      while (k.left()) {
        if (performance.now() - t0 > 5000) {
          console.log(`  ${k.name}: run ${i + 1} LEFT SOMETHING after 5 s`);
          failed = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(
      `${k.name.padEnd(14)} ${RUNS} runs SIGKILLed (${injectedBeforeKill} after the injection): nothing left; slowest clean-up ${slowest.toFixed(0)} ms`,
    );
  }
} finally {
  clocked.kill("SIGTERM");
  await api.close();
  await dns.close();
  execFileSync("umount", [fs]);
  rmSync(dir, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
