/**
 * bench/false-rollback: the identical-canary trial. BENCH_ROLLOUTS (default 50) rollouts whose canary
 * and baseline run the same code as stable, judged on router errors and latency under 300 req/s while
 * another process burns one core; then the 5%-errors canary, which must still be rolled back at its
 * first analysis. Prints the false-rollback count (goal 0) and the bad canary's decision.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rolloutUnderLoad } from "../src/cli/demo.js";
import { hasErrors } from "../src/documents/diagnostic.js";
import { loadRolloutFile } from "../src/documents/rollout.js";

const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 50);
const ORDERS = fileURLToPath(new URL("../src/demo/orders.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "withstand-bench-rollback-"));
const store = join(dir, "store.db");

function rolloutFile(name: string, canaryEnv: string): string {
  const version = (label: string, env = "") =>
    `{command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(ORDERS)}, "\${port}", ${label}]${env}}`;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Rollout
metadata: {name: ${name}}
spec:
  listen: 127.0.0.1:0
  stable: ${version("orders-v1")}
  baseline: ${version("orders-v1-baseline")}
  canary: ${version("orders-v2", canaryEnv)}
  steps:
    - setWeight: 20
    - analysis:
        interval: 2s
        count: 2
        judge:
          metrics:
            - {name: errors, source: router, measure: error-rate, direction: increase, critical: true}
            - {name: latency, source: router, measure: latency, direction: increase, outliers: remove}
    - setWeight: 100
`,
  );
  return file;
}

async function rollout(file: string) {
  const { spec, diagnostics } = await loadRolloutFile(file);
  if (!spec || hasErrors(diagnostics)) throw new Error(`${file}: invalid: ${JSON.stringify(diagnostics)}`);
  return await rolloutUnderLoad(spec, { store, quiet: true }, 300);
}

// Another process burning one core for the whole trial, as on a busy CI machine.
const burner = spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
try {
  const same = rolloutFile("identical", "");
  let rolledBack = 0;
  const reasons: string[] = [];
  for (let i = 1; i <= ROLLOUTS; i++) {
    const r = await rollout(same);
    if (r.decision !== "promoted") {
      rolledBack++;
      const failed = r.analyses.flatMap((a) => a.measurements.filter((m) => m.phase !== "Successful"));
      const why = failed.flatMap(
        (m) => m.judgement?.metrics.filter((v) => v.classification !== "Pass") ?? [],
      );
      reasons.push(
        `${i}: ${r.decision}: ${r.reason.slice(0, 200)}; ${why.map((v) => `${v.name}: ${v.reason}`).join("; ")}`,
      );
    }
    process.stderr.write(`\ridentical canaries: ${i}/${ROLLOUTS}, ${rolledBack} not promoted`);
  }
  process.stderr.write("\n");
  for (const r of reasons) console.log(`  ${r}`);
  const bad = await rollout(rolloutFile("bad", ", env: {ORDERS_FAIL_RATE: '0.05'}"));
  const first = bad.analyses[0];
  console.log(
    `false-rollback trial (one core burnt, 300 req/s, 2 analyses each): identical canaries rolled back ${rolledBack} of ${ROLLOUTS} (goal 0); 5%-errors canary ${bad.decision} after ${first?.measurements.length ?? 0} measurement(s) of its first analysis (${first?.phase ?? "-"}; goal rolled-back at the first)`,
  );
} finally {
  burner.kill("SIGKILL");
}
