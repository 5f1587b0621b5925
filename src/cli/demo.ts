import { fileURLToPath } from "node:url";
import pc from "picocolors";
import { EXIT } from "../core/exit-codes.js";
import type { ExperimentSpec } from "../core/experiment.js";
import { startDemoSystem } from "../demo/system.js";
import { formatDiagnostic, hasErrors } from "../spec/diagnostic.js";
import { loadExperimentFile } from "../spec/load.js";
import { outputMode, verdictLine } from "./output.js";
import { runSession } from "./run-session.js";

const example = (name: string) => fileURLToPath(new URL(`../../../examples/demo/${name}`, import.meta.url));
export const DEMO_EXPERIMENT = example("kill-replica.yaml");
export const DEMO_NETWORK_EXPERIMENT = example("slow-inventory.yaml");

interface Scenario {
  name: "robust" | "fragile" | "network";
  label: string;
  file: string;
  fragile: boolean;
  expect: "held" | "deviated";
}

const SCENARIOS: Scenario[] = [
  {
    name: "robust",
    label: "robust system (health checks, ejection, one retry): kill a replica",
    file: DEMO_EXPERIMENT,
    fragile: false,
    expect: "held",
  },
  {
    name: "fragile",
    label: "fragile system (no ejection, no retry): kill a replica",
    file: DEMO_EXPERIMENT,
    fragile: true,
    expect: "deviated",
  },
  {
    name: "network",
    label: "robust system: 300 ms latency to one replica's inventory",
    file: DEMO_NETWORK_EXPERIMENT,
    fragile: false,
    expect: "held",
  },
];

/**
 * `withstand demo`: the replica-kill experiment against the robust system (it holds) and the fragile
 * one (it deviates: a real weakness), then a network fault through the demo's proxy (it holds).
 */
export async function demoCommand(flags: {
  store?: string;
  only?: Scenario["name"];
  json?: boolean;
}): Promise<number> {
  const specs = new Map<string, ExperimentSpec>();
  for (const file of [DEMO_EXPERIMENT, DEMO_NETWORK_EXPERIMENT]) {
    const loaded = await loadExperimentFile(file);
    if (!loaded.spec || hasErrors(loaded.diagnostics)) {
      for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return EXIT.invalid;
    }
    specs.set(file, loaded.spec);
  }
  const scenarios = SCENARIOS.filter((s) => !flags.only || s.name === flags.only);
  const mode = outputMode(flags);
  const say = (s: string) => {
    if (mode !== "json") process.stdout.write(`${s}\n`);
  };
  const results: { scenario: Scenario; outcome: string; line: string; runId: string }[] = [];
  for (const scenario of scenarios) {
    const spec = specs.get(scenario.file);
    if (!spec) continue;
    say(pc.bold(`\n▶ demo: ${scenario.label}`));
    const system = await startDemoSystem({ fragile: scenario.fragile });
    say(
      `  load balancer ${system.lbUrl}, replicas on ports ${system.replicaPorts.join(", ")}, proxy API ${system.proxyApi}`,
    );
    try {
      const result = await runSession(spec, {
        mode,
        store: flags.store,
        overrides: {
          configuration: {
            lb_url: system.lbUrl,
            replica_port: system.replicaPorts[0],
            proxy_api: system.proxyApi,
          },
          secrets: {},
        },
      });
      const j = result.journal;
      results.push({
        scenario,
        outcome: j.withstand.outcome,
        line: verdictLine(j, mode === "tty"),
        runId: j.withstand.run_id,
      });
      if (result.exitCode === EXIT.aborted || result.exitCode === EXIT.invalid) break;
    } finally {
      await system.stop();
    }
  }
  say(pc.bold("\nDemo verdicts"));
  for (const r of results) say(`  ${r.scenario.name.padEnd(8)} ${r.line}`);
  const asExpected =
    results.length === scenarios.length && results.every((r) => r.outcome === r.scenario.expect);
  say(
    asExpected
      ? `\nThe robust system withstood a replica kill and a slow dependency; the fragile one did not withstand the kill. Inspect a run with \`withstand runs show ${results[0]?.runId ?? "ID"}\`.`
      : "\nThe demo did not come out as expected (see the verdicts above).",
  );
  if (mode === "json") {
    const summary = results.map((r) => ({ scenario: r.scenario.name, outcome: r.outcome, runId: r.runId }));
    process.stdout.write(`${JSON.stringify({ type: "demo-finished", results: summary, asExpected })}\n`);
  }
  return asExpected ? EXIT.ok : EXIT.failed;
}
