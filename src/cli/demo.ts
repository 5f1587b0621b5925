import { fileURLToPath } from "node:url";
import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import { EXIT } from "../core/exit-codes.js";
import type { ExperimentSpec } from "../core/experiment.js";
import type { RolloutSpec } from "../core/rollout.js";
import { startDemoSystem } from "../demo/system.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadExperimentFile } from "../documents/experiment-file.js";
import { loadRolloutFile } from "../documents/rollout.js";
import { runLoad } from "../load/coordinator.js";
import { DEMO_GOSSFILE, demoGossCheck, startDemoSynthetic } from "./demo-checks.js";
import { demoFlags, type FlagDemoResult } from "./demo-flags.js";
import { type DemoGameDayResult, demoGameDay } from "./demo-gameday.js";
import { outputMode, verdictLine } from "./output.js";
import { rolloutSession } from "./rollout.js";
import { runSession } from "./run-session.js";

const example = (name: string) => fileURLToPath(new URL(`../../../examples/demo/${name}`, import.meta.url));
export const DEMO_EXPERIMENT = example("kill-replica.yaml");
export const DEMO_NETWORK_EXPERIMENT = example("slow-inventory.yaml");
export const DEMO_DNS_EXPERIMENT = example("dns-failure.yaml");
export const DEMO_DISK_EXPERIMENT = example("disk-full.yaml");
export const DEMO_ROLLOUTS = { bad: example("rollout-v2-bad.yaml"), good: example("rollout-v2-good.yaml") };

interface RolloutScenario {
  name: "rollout-bad" | "rollout-good";
  label: string;
  file: string;
  expect: "rolled-back" | "promoted";
}

const ROLLOUTS: RolloutScenario[] = [
  {
    name: "rollout-bad",
    label: "canary orders v2-bad (fails 5% of requests) under 600 req/s",
    file: DEMO_ROLLOUTS.bad,
    expect: "rolled-back",
  },
  {
    name: "rollout-good",
    label: "canary orders v2-good under 600 req/s",
    file: DEMO_ROLLOUTS.good,
    expect: "promoted",
  },
];

/** Runs a rollout on a free port with `rate` req/s from the load generator on its router until the decision. */
export async function rolloutUnderLoad(
  spec: RolloutSpec,
  flags: { store?: string | undefined; json?: boolean | undefined; quiet?: boolean | undefined },
  rate: number,
): Promise<Awaited<ReturnType<typeof rolloutSession>>> {
  spec.listen = { host: "127.0.0.1", port: 0 };
  const stopLoad = new AbortController();
  let load: Promise<unknown> | undefined;
  return await rolloutSession(
    spec,
    {
      ...(flags.store ? { store: flags.store } : {}),
      ...(flags.json ? { json: true } : {}),
      ...(flags.quiet ? { quiet: true } : {}),
    },
    {
      onListening: (address) => {
        load = runLoad(
          {
            name: "demo-rollout",
            executor: { type: "constant-arrival-rate", rate, durationMs: 120_000 },
            requests: [
              { method: "GET", url: `http://${address}/orders`, headers: {}, body: undefined, weight: 1 },
            ],
            connections: 64,
            timeoutMs: 5000,
            maxRequests: rate * 120,
            thresholds: [],
            workers: 1,
          },
          { signal: stopLoad.signal },
        );
      },
      beforeClose: async () => {
        stopLoad.abort();
        await load;
      },
    },
  );
}

/** Runs one demo rollout on a free port with the load generator on its router until the decision. */
async function demoRollout(
  scenario: RolloutScenario,
  flags: { store?: string | undefined; json?: boolean | undefined },
): Promise<{ outcome: string; line: string; runId: string } | undefined> {
  const { spec, diagnostics } = await loadRolloutFile(scenario.file);
  if (!spec || hasErrors(diagnostics)) {
    for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return undefined;
  }
  const result = await rolloutUnderLoad(spec, flags, 600);
  const decision = result.decision;
  const c = pc.createColors(outputMode({ json: flags.json === true }) === "tty");
  const color = decision === scenario.expect ? c.green : c.red;
  return {
    outcome: decision,
    runId: result.runId,
    line: `${color(decision.toUpperCase())} in ${formatDuration(result.durationMs)}: ${result.reason.slice(0, 160)}`,
  };
}

interface Scenario {
  name: "robust" | "fragile" | "network" | "dns" | "dns-fragile" | "disk" | "disk-fragile";
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
  {
    name: "dns",
    label: "robust system (keeps its last good address): inventory's name stops resolving",
    file: DEMO_DNS_EXPERIMENT,
    fragile: false,
    expect: "held",
  },
  {
    name: "dns-fragile",
    label: "fragile system (its DNS cache expires during the outage): inventory's name stops resolving",
    file: DEMO_DNS_EXPERIMENT,
    fragile: true,
    expect: "deviated",
  },
  {
    name: "disk",
    label: "robust system (drops log lines it cannot write): the log disk fills up",
    file: DEMO_DISK_EXPERIMENT,
    fragile: false,
    expect: "held",
  },
  {
    name: "disk-fragile",
    label: "fragile system (crashes on a failed write): the log disk fills up",
    file: DEMO_DISK_EXPERIMENT,
    fragile: true,
    expect: "deviated",
  },
];

/**
 * `withstand demo`: the replica-kill experiment against the robust system (it holds) and the fragile
 * one (it deviates: a real weakness), then a network fault through the demo's proxy (it holds).
 */
export async function demoCommand(flags: {
  store?: string;
  only?: Scenario["name"] | RolloutScenario["name"] | "flags" | "gameday" | "lab";
  json?: boolean;
}): Promise<number> {
  if (flags.only === "lab") return (await import("./demo-lab.js")).demoLabCommand(flags);
  const specs = new Map<string, ExperimentSpec>();
  for (const file of [DEMO_EXPERIMENT, DEMO_NETWORK_EXPERIMENT, DEMO_DNS_EXPERIMENT, DEMO_DISK_EXPERIMENT]) {
    const loaded = await loadExperimentFile(file);
    if (!loaded.spec || hasErrors(loaded.diagnostics)) {
      for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return EXIT.invalid;
    }
    specs.set(file, loaded.spec);
  }
  const scenarios = SCENARIOS.filter((s) => !flags.only || s.name === flags.only);
  const rollouts = ROLLOUTS.filter((s) => !flags.only || s.name === flags.only);
  const mode = outputMode(flags);
  const say = (s: string) => {
    if (mode !== "json") process.stdout.write(`${s}\n`);
  };
  const results: { scenario: Scenario; outcome: string; line: string; runId: string }[] = [];
  let gossLine: string | undefined;
  let gossOk = true;
  let syntheticLine: string | undefined;
  const skipped = new Set<Scenario>();
  for (const scenario of scenarios) {
    const spec = specs.get(scenario.file);
    if (!spec) continue;
    say(pc.bold(`\n▶ demo: ${scenario.label}`));
    const system = await startDemoSystem({ fragile: scenario.fragile });
    say(
      `  load balancer ${system.lbUrl}, replicas on ports ${system.replicaPorts.join(", ")}, proxy API ${system.proxyApi}, DNS API ${system.dnsApi}`,
    );
    if (scenario.file === DEMO_DISK_EXPERIMENT && !system.logDir) {
      say(
        "  skipped: the disk scenario fills a small tmpfs of its own, and this user cannot mount one (run as root)",
      );
      skipped.add(scenario);
      await system.stop();
      continue;
    }
    // On the robust system, the Gossfile first, then the synthetic test order all through the experiment.
    const withChecks = scenario.name === "robust";
    if (withChecks) {
      const goss = await demoGossCheck(system.lbUrl);
      gossLine = `${goss.passed}/${goss.count} Goss tests passed${goss.firstFailure ? ` (first failure: ${goss.firstFailure})` : ""}`;
      gossOk = goss.passed === goss.count;
      say(`  withstand check ${DEMO_GOSSFILE}: ${gossLine}`);
    }
    const synthetic = withChecks ? await startDemoSynthetic(system.lbUrl, flags.store) : undefined;
    try {
      const result = await runSession(spec, {
        mode,
        store: flags.store,
        overrides: {
          configuration: {
            lb_url: system.lbUrl,
            replica_port: system.replicaPorts[0],
            proxy_api: system.proxyApi,
            dns_api: system.dnsApi,
            ...(system.logDir ? { log_dir: system.logDir } : {}),
          },
          secrets: {},
        },
      });
      const j = result.journal;
      if (!j) throw new Error(`the ${scenario} experiment did not run: ${result.usageError ?? "no journal"}`);
      results.push({
        scenario,
        outcome: j.withstand.outcome,
        line: verdictLine(j, mode === "tty"),
        runId: j.withstand.run_id,
      });
      if (result.exitCode === EXIT.aborted || result.exitCode === EXIT.invalid) break;
    } finally {
      if (synthetic) {
        const s = await synthetic.stop();
        syntheticLine = `${s.passed}/${s.runs} runs of the place-order synthetic passed during the replica kill (withstand synthetic examples place-order)`;
      }
      await system.stop();
    }
  }
  const rolled: { scenario: RolloutScenario; outcome: string; line: string; runId: string }[] = [];
  for (const scenario of rollouts) {
    say(pc.bold(`\n▶ demo: ${scenario.label}`));
    const r = await demoRollout(scenario, flags);
    if (!r) return EXIT.invalid;
    rolled.push({ scenario, ...r });
    if (r.outcome === "aborted") break;
  }
  let flagged: FlagDemoResult[] = [];
  if (!flags.only || flags.only === "flags") {
    const r = await demoFlags(flags, mode, say);
    if (!r) return EXIT.invalid;
    flagged = r;
  }
  // Last, a short game day: its second step trips the stop condition (src/cli/demo-gameday.ts).
  let gameDay: DemoGameDayResult | undefined;
  const withGameDay = !flags.only || flags.only === "gameday";
  if (withGameDay) {
    say(pc.bold("\n▶ demo: game day on the robust system, three steps under one stop condition"));
    gameDay = await demoGameDay(flags, say);
  }
  say(pc.bold("\nDemo verdicts"));
  for (const r of results) say(`  ${r.scenario.name.padEnd(12)} ${r.line}`);
  for (const r of rolled) say(`  ${r.scenario.name.padEnd(12)} ${r.line}`);
  for (const r of flagged) say(`  ${r.name.padEnd(12)} ${r.line}`);
  if (gossLine) say(`  ${"checks".padEnd(12)} ${gossLine}`);
  if (syntheticLine) say(`  ${"synthetic".padEnd(12)} ${syntheticLine}`);
  if (gameDay) say(`  ${"gameday".padEnd(12)} ${gameDay.line}`);
  const asExpected =
    gossOk &&
    results.length + skipped.size === scenarios.length &&
    results.every((r) => r.outcome === r.scenario.expect) &&
    rolled.length === rollouts.length &&
    rolled.every((r) => r.outcome === r.scenario.expect) &&
    flagged.every((r) => r.outcome === r.expect) &&
    (!withGameDay || gameDay?.outcome === "stopped");
  say(
    asExpected
      ? `\nThe robust system withstood a replica kill, a slow dependency, a DNS outage and a full disk; the fragile one withstood none of the kill, the DNS outage or the full disk. The bad canary was rolled back and the good one promoted. Inspect a run with \`withstand runs show ${results[0]?.runId ?? rolled[0]?.runId ?? "ID"}\`, or see them all with \`withstand serve\`.`
      : "\nThe demo did not come out as expected (see the verdicts above).",
  );
  if (mode === "json") {
    const summary = [
      ...[...results, ...rolled].map((r) => ({
        scenario: r.scenario.name,
        outcome: r.outcome,
        runId: r.runId,
      })),
      ...(gameDay
        ? [{ scenario: "gameday", outcome: gameDay.outcome, runId: gameDay.runId, reports: gameDay.reports }]
        : []),
      ...flagged.map((r) => ({ scenario: r.name, outcome: r.outcome, runId: r.runId })),
    ];
    process.stdout.write(`${JSON.stringify({ type: "demo-finished", results: summary, asExpected })}\n`);
  }
  return asExpected ? EXIT.ok : EXIT.failed;
}
