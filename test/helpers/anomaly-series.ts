import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { seeded } from "../../src/core/stats.js";
import { freePort } from "../../src/proxy/listen.js";
import { track } from "./children.js";
import { exited } from "./processes.js";

const DAY = 86_400_000;

/**
 * Diurnal traffic (a morning and an evening peak, weekends at 60%) with Poisson-like noise, one value a
 * step; `spikes` are [start, length] in ms from the first point, multiplied by `factor`.
 */
export function diurnal(
  seed: number,
  steps: number,
  stepMs: number,
  spikes: readonly [number, number][] = [],
  factor = 3,
): number[] {
  const r = seeded(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const values: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = i * stepMs;
    const h = (t % DAY) / 3_600_000;
    const shape = 20 + 60 * Math.exp(-(((h - 10) / 2.5) ** 2)) + 45 * Math.exp(-(((h - 20) / 2) ** 2));
    const mean = shape * (Math.floor(t / DAY) % 7 >= 5 ? 0.6 : 1);
    let v = Math.max(0, mean + gauss() * Math.sqrt(mean));
    if (spikes.some(([s, len]) => t >= s && t < s + len)) v *= factor;
    values.push(Number(v.toFixed(3)));
  }
  return values;
}

/**
 * A real Prometheus holding `series` (name → values a step apart, the last at `endMs`), backfilled with
 * promtool into one block. Resolves once it answers queries; `stop` ends it (call it in teardown).
 */
export async function backfilledPrometheus(
  dir: string,
  series: Record<string, readonly number[]>,
  stepMs: number,
  endMs: number,
  config = "global: {evaluation_interval: 1m}\n",
): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const om = Object.entries(series)
    .map(
      ([name, values]) =>
        `# TYPE ${name} gauge\n${values.map((v, i) => `${name} ${v} ${(endMs - (values.length - 1 - i) * stepMs) / 1000}`).join("\n")}\n`,
    )
    .join("");
  writeFileSync(join(dir, "series.om"), `${om}# EOF\n`);
  execFileSync("promtool", [
    "tsdb",
    "create-blocks-from",
    "openmetrics",
    "--max-block-duration=2000h", // one block, not one every two hours
    "-q",
    join(dir, "series.om"),
    join(dir, "tsdb"),
  ]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, "prometheus.yml"), config);
  const child = track(
    spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        "--storage.tsdb.retention.time=90d",
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    child.kill("SIGTERM");
    await exited(child);
  };
  // Prometheus has no readiness notification but its /-/ready endpoint: poll it, bounded.
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > 60_000) {
      await stop();
      throw new Error("Prometheus did not become ready within 60 s");
    }
    if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, process: child, stop };
}
