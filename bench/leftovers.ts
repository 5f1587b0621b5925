/**
 * bench/leftovers: for each resource fault kind, BENCH_RUNS (20) runs of `withstand inject` SIGKILLed
 * at a random moment from 0 to 1.5 s after they start (before, during and after the injection); after
 * each, nothing may be left within 5 s: no stressor process, no fill file, no clock skew, no DNS
 * toxic. Prints, per kind, the runs and the slowest clean-up. Needs root for the tmpfs.
 */
import { spawn } from "node:child_process";
import { BIN, resourceTargets } from "./resource-targets.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const t = await resourceTargets("leftovers", "left");
const { env, fs, dnsUrl } = t;

const kinds: { name: string; args: string[]; left: () => boolean }[] = [
  { name: "cpu-stress", args: ["--load", "30%", "--cores", "[0]"], left: t.active.cpu },
  { name: "memory-stress", args: ["--size", "64MiB"], left: t.active.memory },
  { name: "disk-fill", args: ["--path", fs, "--size", "4MiB"], left: t.active.disk },
  { name: "clock-skew", args: ["--clock", t.clock, "--offset", "+2h"], left: t.active.clock },
  {
    name: "dns",
    args: ["--server", dnsUrl, "--names", "inventory.*", "--answer", "servfail"],
    left: t.active.dns,
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
  await t.close();
}
if (failed) process.exitCode = 1;
