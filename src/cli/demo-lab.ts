import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadExperimentFile } from "../documents/experiment-file.js";
import { missingCapabilities } from "../platform/netlab/cmd.js";
import { outputMode, verdictLine } from "./output.js";
import { runSession } from "./run-session.js";

const APP = fileURLToPath(new URL("../demo/lab-app.js", import.meta.url));
const ENTRY = fileURLToPath(new URL("./entry.js", import.meta.url));

export interface LabDemoResult {
  name: string;
  expect: "held" | "deviated";
  outcome: string;
  line: string;
  runId: string;
}

/** Orders in zones a, b, c; inventory in a and b; every program robust or fragile. */
function labYaml(name: string, fragile: boolean): string {
  const cmd = (...args: string[]) =>
    JSON.stringify([process.execPath, APP, ...args, ...(fragile ? ["--fragile"] : [])]);
  const host = (h: string, zone: string, role: string[]) =>
    `    - name: ${h}\n      zone: ${zone}\n      processes:\n        - command: ${cmd(...role)}\n          ready: { tcp: 8080 }\n`;
  return `apiVersion: withstand/v1\nkind: Lab\nmetadata:\n  name: ${name}\nspec:\n  hosts:\n${[
    host("inventory-a", "a", ["inventory"]),
    host("inventory-b", "b", ["inventory"]),
    host("orders-a", "a", ["orders", "a"]),
    host("orders-b", "b", ["orders", "b"]),
    host("orders-c", "c", ["orders", "c"]),
    `    - name: client\n      zone: edge\n`,
  ].join("")}`;
}

/**
 * 12 orders through the balancer (at most 5% may fail) before the fault, while it holds (a probe in the
 * method, which deviates the run when it misses) and after its revert.
 */
function experimentYaml(title: string, lab: string, fault: string, fragile: boolean): string {
  const args = [
    "lab",
    "exec",
    lab,
    "client",
    "--",
    process.execPath,
    APP,
    "client",
    "12",
    ...(fragile ? ["--fragile"] : []),
  ];
  const probe = (name: string) => `      - type: probe
        name: ${name}
        tolerance: 0
        provider:
          type: process
          path: ${JSON.stringify(process.execPath)}
          arguments: ${JSON.stringify([ENTRY, ...args])}
          timeout: 60
`;
  return `apiVersion: withstand/v1
kind: Experiment
metadata:
  name: ${lab}
spec:
  title: ${title}
  tags: [demo, lab]
  lab: lab.yaml
  steady-state-hypothesis:
    title: at most 5% of 12 orders fail through the load balancer
    probes:
${probe("orders-through-the-balancer")}  method:
    - type: action
      name: network-fault
      fault: ${fault}
${probe("orders-while-the-fault-holds").replace(/^ {6}/gm, "    ")}`;
}

const SCENARIOS = [
  {
    name: "lab-zone-down",
    label: "lab: zone a goes down (robust balancer and orders retry elsewhere)",
    title: "Orders keep serving when zone a goes down",
    fault: "{ kind: zone-down, zone: a }",
    fragile: false,
    expect: "held" as const,
  },
  {
    name: "lab-zone-down-fragile",
    label: "lab: zone a goes down (fragile: no retry)",
    title: "Orders keep serving when zone a goes down",
    fault: "{ kind: zone-down, zone: a }",
    fragile: true,
    expect: "deviated" as const,
  },
  {
    name: "lab-partition",
    label: "lab: orders-b is cut off from inventory-b (robust: the retry path to inventory-a)",
    title: "Orders keep serving when zone b's inventory is partitioned from orders-b",
    fault: "{ kind: partition, between: [{ hosts: [orders-b] }, { hosts: [inventory-b] }] }",
    fragile: false,
    expect: "held" as const,
  },
];

/**
 * The network lab scenarios of `withstand demo` (`--only lab`): each brings its own lab up as the
 * experiment's service (root only; skipped, said so, otherwise) and judges orders through the balancer
 * while a zone is down or a partition holds.
 */
export async function demoLab(
  flags: { store?: string; json?: boolean },
  say: (s: string) => void,
): Promise<LabDemoResult[] | "skipped" | "invalid"> {
  const missing = missingCapabilities();
  if (missing) {
    say(`  skipped the lab scenarios: ${missing}`);
    return "skipped";
  }
  const mode = outputMode(flags);
  const results: LabDemoResult[] = [];
  for (const s of SCENARIOS) {
    say(`\n▶ demo: ${s.label}`);
    const dir = mkdtempSync(join(tmpdir(), "withstand-demo-lab-"));
    try {
      const lab = `demo-${randomBytes(3).toString("hex")}`;
      writeFileSync(join(dir, "lab.yaml"), labYaml(lab, s.fragile));
      const file = join(dir, `${s.name}.yaml`);
      writeFileSync(file, experimentYaml(s.title, lab, s.fault, s.fragile));
      const loaded = await loadExperimentFile(file);
      if (!loaded.spec || hasErrors(loaded.diagnostics)) {
        for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
        return "invalid";
      }
      const result = await runSession(loaded.spec, {
        mode,
        store: flags.store,
        overrides: { configuration: {}, secrets: {} },
      });
      const j = result.journal;
      if (!j) throw new Error(`the ${s.name} experiment did not run: ${result.usageError ?? "no journal"}`);
      results.push({
        name: s.name,
        expect: s.expect,
        outcome: j.withstand.outcome,
        line: verdictLine(j, mode === "tty"),
        runId: j.withstand.run_id,
      });
      if (result.exitCode === EXIT.aborted || result.exitCode === EXIT.invalid) break;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

/** `withstand demo --only lab`: the lab scenarios and their verdicts; exit 0 when each came out as expected. */
export async function demoLabCommand(flags: { store?: string; json?: boolean }): Promise<number> {
  const mode = outputMode(flags);
  const say = (s: string) => {
    if (mode !== "json") process.stdout.write(`${s}\n`);
  };
  const results = await demoLab(flags, say);
  if (results === "invalid") return EXIT.invalid;
  if (results === "skipped") return EXIT.ok;
  say("\nDemo verdicts");
  for (const r of results) say(`  ${r.name.padEnd(22)} ${r.line}`);
  const asExpected = results.length === SCENARIOS.length && results.every((r) => r.outcome === r.expect);
  say(
    asExpected
      ? "\nWith zone a down, the robust balancer and orders retried elsewhere and held; the fragile ones did not. Cut off from inventory-b, orders-b took the retry path to inventory-a."
      : "\nThe lab demo did not come out as expected (see the verdicts above).",
  );
  if (mode === "json")
    process.stdout.write(
      `${JSON.stringify({ type: "demo-finished", results: results.map((r) => ({ scenario: r.name, outcome: r.outcome, runId: r.runId })), asExpected })}\n`,
    );
  return asExpected ? EXIT.ok : EXIT.failed;
}
