import { fileURLToPath } from "node:url";
import { loadGossfiles } from "../checks/gossfile.js";
import { FAIL, runChecks } from "../checks/run.js";
import { sleep } from "../core/sleep.js";
import { hasErrors } from "../documents/diagnostic.js";
import { loadSyntheticFile } from "../documents/synthetic.js";
import { recordSyntheticRun } from "./synthetic.js";

const example = (name: string) => fileURLToPath(new URL(`../../../examples/demo/${name}`, import.meta.url));
export const DEMO_GOSSFILE = fileURLToPath(
  new URL("../../../examples/checks/demo-system.goss.yaml", import.meta.url),
);
export const DEMO_SYNTHETIC = example("place-order.yaml");

/** The demo's Gossfile against a running demo system: how many tests passed, and the first failure. */
export async function demoGossCheck(
  lbUrl: string,
): Promise<{ passed: number; count: number; firstFailure?: string }> {
  const loaded = loadGossfiles([DEMO_GOSSFILE], { vars: { lb_url: lbUrl }, env: process.env });
  if (hasErrors(loaded.diagnostics)) throw new Error(`${DEMO_GOSSFILE}: ${loaded.diagnostics[0]?.message}`);
  const results = await runChecks(loaded.entries, {
    maxConcurrent: 50,
    signal: new AbortController().signal,
  });
  const failed = results.filter((r) => r.result === FAIL);
  return {
    passed: results.length - failed.length,
    count: results.length,
    ...(failed[0]
      ? { firstFailure: `${failed[0].resourceType} ${failed[0].resourceId} ${failed[0].property}` }
      : {}),
  };
}

/**
 * The synthetic "place and cancel an order", run on its schedule against the demo system while an
 * experiment runs (each run stored); `stop` ends the loop and says how many runs passed.
 */
export async function startDemoSynthetic(
  lbUrl: string,
  store: string | undefined,
): Promise<{ stop(): Promise<{ passed: number; runs: number }> }> {
  const loaded = await loadSyntheticFile(DEMO_SYNTHETIC);
  const spec = loaded.spec;
  if (!spec) throw new Error(`${DEMO_SYNTHETIC}: ${loaded.diagnostics[0]?.message}`);
  spec.variables.base = lbUrl;
  const stop = new AbortController();
  let runs = 0;
  let passed = 0;
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const started = Date.now();
      const { result } = await recordSyntheticRun(spec, store, stop.signal);
      if (stop.signal.aborted) break;
      runs++;
      if (result.ok) passed++;
      await sleep(spec.everyMs - (Date.now() - started), stop.signal);
    }
  })();
  return {
    async stop() {
      stop.abort();
      await loop;
      return { passed, runs };
    },
  };
}
