import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import { startDemoSystem } from "../demo/system.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadExperimentFile } from "../documents/experiment-file.js";
import { flagErrors, readFlagText } from "../documents/flag-file.js";
import { loadRolloutFile } from "../documents/rollout.js";
import { FlagServer } from "../flags/server.js";
import { openStore } from "../store/open.js";
import { type OutputMode, verdictLine } from "./output.js";
import { rolloutSession } from "./rollout.js";
import { runSession } from "./run-session.js";

const example = (name: string) => fileURLToPath(new URL(`../../../examples/demo/${name}`, import.meta.url));
export const DEMO_FLAGS = {
  file: fileURLToPath(new URL("../../../examples/flags/demo-flags.json", import.meta.url)),
  bad: example("flag-rollout-buggy-pricing.yaml"),
  good: example("flag-rollout-new-pricing.yaml"),
  killSwitch: example("recommendations-off.yaml"),
};

export interface FlagDemoResult {
  name: "flag-rollout-bad" | "flag-rollout-good" | "kill-switch";
  expect: string;
  outcome: string;
  line: string;
  runId: string;
}

/**
 * `withstand demo --only flags`: a flag server for the demo (its audit in the run store), the demo
 * system whose orders replicas read `new-pricing` and `recommendations` per user over OFREP, then
 * (1) a flag rollout of the buggy pricing, rolled back to 0% by its analysis, (2) one of the good
 * pricing, 10% → 50% → 100%, promoted, (3) the recommendations kill switch flipped by the `flag` fault
 * while orders are served: the system holds. Returns one verdict per part, undefined on invalid input.
 */
export async function demoFlags(
  flags: { store?: string | undefined; json?: boolean | undefined },
  mode: OutputMode,
  say: (line: string) => void,
): Promise<FlagDemoResult[] | undefined> {
  const c = pc.createColors(mode === "tty");
  const dir = mkdtempSync(join(tmpdir(), "withstand-demo-flags-"));
  const file = join(dir, "flags.json");
  copyFileSync(DEMO_FLAGS.file, file);
  const secret = randomBytes(18).toString("base64url");
  const store = openStore(flags.store);
  const server = new FlagServer({
    files: [file],
    host: "127.0.0.1",
    port: 0,
    tokens: [{ name: "demo", secret }],
    corsOrigins: [],
    name: "demo-flags",
    read: (f, text) => {
      const r = readFlagText(f, text);
      return {
        ...(r.flags ? { flags: r.flags } : {}),
        problems: r.diagnostics.map(formatDiagnostic),
        errors: flagErrors(r.diagnostics),
      };
    },
    audit: (change) => store.recordFlagChange(change),
    log: () => undefined,
  });
  // The rollouts and the flag fault take the flag server's token from the environment, as a user's would.
  const priorToken = process.env.WITHSTAND_FLAGS_TOKEN;
  process.env.WITHSTAND_FLAGS_TOKEN = secret;
  const results: FlagDemoResult[] = [];
  try {
    await server.start();
    const system = await startDemoSystem({ env: { DEMO_FLAGS: server.url } });
    say(
      `  flag server ${server.url} (OFREP), orders read new-pricing per user through load balancer ${system.lbUrl}`,
    );
    try {
      for (const [name, path, expect] of [
        ["flag-rollout-bad", DEMO_FLAGS.bad, "rolled-back"],
        ["flag-rollout-good", DEMO_FLAGS.good, "promoted"],
      ] as const) {
        const { spec, diagnostics } = await loadRolloutFile(path);
        if (!spec?.flag || hasErrors(diagnostics)) {
          for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
          return undefined;
        }
        spec.flag.server = server.url;
        for (const step of spec.steps)
          if (step.kind === "analysis")
            for (const a of step.analyses)
              for (const m of a.metrics)
                if (m.url) m.url = m.url.replace("http://127.0.0.1:8080", system.lbUrl);
        say(c.bold(`\n▶ demo: flag rollout of new-pricing=${spec.flag.variant} (10% → 50% → 100% of users)`));
        const r = await rolloutSession(spec, {
          ...(flags.store ? { store: flags.store } : {}),
          ...(flags.json ? { json: true } : {}),
        });
        const color = r.decision === expect ? c.green : c.red;
        results.push({
          name,
          expect,
          outcome: r.decision,
          runId: r.runId,
          line: `${color(r.decision.toUpperCase())} in ${formatDuration(r.durationMs)}: ${r.reason.slice(0, 140)}`,
        });
      }
      say(c.bold("\n▶ demo: the recommendations kill switch is flipped off while orders are served"));
      const loaded = await loadExperimentFile(DEMO_FLAGS.killSwitch);
      if (!loaded.spec || hasErrors(loaded.diagnostics)) {
        for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
        return undefined;
      }
      const run = await runSession(loaded.spec, {
        mode,
        store: flags.store,
        overrides: { configuration: { lb_url: system.lbUrl, flags_url: server.url }, secrets: {} },
      });
      const j = run.journal;
      if (!j) throw new Error(`the kill-switch experiment did not run: ${run.usageError ?? "no journal"}`);
      results.push({
        name: "kill-switch",
        expect: "held",
        outcome: j.withstand.outcome,
        runId: j.withstand.run_id,
        line: verdictLine(j, mode === "tty"),
      });
    } finally {
      await system.stop();
    }
  } finally {
    await server.close();
    await store.close();
    if (priorToken === undefined) delete process.env.WITHSTAND_FLAGS_TOKEN;
    else process.env.WITHSTAND_FLAGS_TOKEN = priorToken;
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
