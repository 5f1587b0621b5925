import { fileURLToPath } from "node:url";
import pc from "picocolors";
import { EXIT } from "../core/exit-codes.js";
import { startDemoSystem } from "../demo/system.js";
import { formatDiagnostic, hasErrors } from "../spec/diagnostic.js";
import { loadExperimentFile } from "../spec/load.js";
import { outputMode, verdictLine } from "./output.js";
import { runSession } from "./run-session.js";

export const DEMO_EXPERIMENT = fileURLToPath(
  new URL("../../../examples/demo/kill-replica.yaml", import.meta.url),
);

interface Variant {
  name: "robust" | "fragile";
  fragile: boolean;
  expect: "held" | "deviated";
}

/**
 * `withstand demo`: runs the bundled experiment against the robust system (ejection + retry) and
 * against the fragile one (neither). The robust one should hold; the fragile one should deviate.
 */
export async function demoCommand(flags: {
  store?: string;
  only?: "robust" | "fragile";
  json?: boolean;
}): Promise<number> {
  const loaded = await loadExperimentFile(DEMO_EXPERIMENT);
  if (!loaded.spec || hasErrors(loaded.diagnostics)) {
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return EXIT.invalid;
  }
  const variants: Variant[] = [
    { name: "robust", fragile: false, expect: "held" },
    { name: "fragile", fragile: true, expect: "deviated" },
  ].filter((v) => !flags.only || v.name === flags.only) as Variant[];
  const mode = outputMode(flags);
  const say = (s: string) => {
    if (mode !== "json") process.stdout.write(`${s}\n`);
  };
  const results: { variant: Variant; outcome: string; line: string; runId: string }[] = [];
  for (const variant of variants) {
    say(
      pc.bold(
        `\n▶ demo: ${variant.name} system (${variant.fragile ? "no ejection, no retry" : "health checks, ejection, one retry"})`,
      ),
    );
    const system = await startDemoSystem({ fragile: variant.fragile });
    say(`  load balancer ${system.lbUrl}, replicas on ports ${system.replicaPorts.join(", ")}`);
    try {
      const result = await runSession(loaded.spec, {
        mode,
        store: flags.store,
        overrides: {
          configuration: { lb_url: system.lbUrl, replica_port: system.replicaPorts[0] },
          secrets: {},
        },
      });
      const j = result.journal;
      results.push({
        variant,
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
  for (const r of results) say(`  ${r.variant.name.padEnd(8)} ${r.line}`);
  const asExpected =
    results.length === variants.length && results.every((r) => r.outcome === r.variant.expect);
  say(
    asExpected
      ? `\nThe robust system withstood a replica kill; the fragile one did not. Inspect the runs with \`withstand runs show ${results[0]?.runId ?? "ID"}\`.`
      : "\nThe demo did not come out as expected (see the verdicts above).",
  );
  if (mode === "json")
    process.stdout.write(
      `${JSON.stringify({ type: "demo-finished", results: results.map((r) => ({ variant: r.variant.name, outcome: r.outcome, runId: r.runId })), asExpected })}\n`,
    );
  return asExpected ? EXIT.ok : EXIT.failed;
}
