import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import { WithstandError } from "../core/errors.js";
import type { RunEvent } from "../core/events.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { revisionProblem } from "../core/revision.js";
import type { RolloutSpec } from "../core/rollout.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { runLifecycle } from "../engine/lifecycle.js";
import { gitCommit, gitHead } from "../platform/git.js";
import { activeRollouts, type RolloutStatus, sendControl } from "../rollout/control.js";
import type { RolloutResult } from "../rollout/controller.js";
import { loadRollout, type RolloutOptions, rolloutKind } from "../runs/rollout.js";
import { failUsage } from "./fail.js";
import { type OutputMode, outputMode } from "./output.js";
import { reportRecord, resultOf } from "./store-failures.js";

export interface RolloutFlags {
  store?: string;
  json?: boolean;
  quiet?: boolean;
  full?: boolean;
  skipAnalysis?: boolean;
  reason?: string;
  /** Files of Argo AnalysisTemplates the analyses name. */
  template?: string[];
  /** The change deployed, for DORA's lead time (else the document's, else git's HEAD). */
  commitTime?: string;
  revision?: string;
  /** The repository whose git log gives commit times (the current directory by default). */
  repo?: string;
}

/**
 * The change a rollout deploys: `--commit-time` (with `--revision`), else `--revision` or the document's
 * revision looked up in git, else the document's commit time, else the HEAD of the repository it runs
 * in (none outside one).
 */
async function withChange(spec: RolloutSpec, flags: RolloutFlags): Promise<RolloutSpec> {
  const repo = flags.repo ?? process.cwd();
  if (flags.commitTime !== undefined) {
    if (Number.isNaN(Date.parse(flags.commitTime)))
      failUsage(`--commit-time ${flags.commitTime}: expected a time such as 2026-12-07T14:00:00Z`);
    const revision = flags.revision ?? spec.change?.revision;
    return {
      ...spec,
      change: { revision, commitTime: new Date(flags.commitTime).toISOString(), from: "flag" },
    };
  }
  if (flags.revision !== undefined) {
    const problem = revisionProblem(flags.revision);
    if (problem) failUsage(`--revision ${problem}`);
  }
  const revision = flags.revision ?? (spec.change?.commitTime ? undefined : spec.change?.revision);
  if (revision !== undefined) {
    try {
      return { ...spec, change: { ...(await gitCommit(repo, revision)), from: "git" } };
    } catch (err) {
      if (flags.revision !== undefined) failUsage(`--revision ${revision}: ${(err as Error).message}`);
      // The document's revision is kept: `withstand dora --repo` can look it up later.
      process.stderr.write(
        `withstand: ${spec.file}: metadata.revision ${revision}: no commit time here (${(err as Error).message}); recorded without one, withstand dora --repo finds it\n`,
      );
      return spec;
    }
  }
  if (spec.change) return spec;
  if (flags.repo !== undefined) {
    const head = await gitHead(repo);
    if (!head) failUsage(`--repo ${repo}: not a git repository`);
    return { ...spec, change: { ...head, from: "git" } };
  }
  const head = await gitHead(repo);
  return head ? { ...spec, change: { ...head, from: "git" } } : spec;
}

const ACTIONS = ["status", "promote", "abort"];

/** The live view: one line per decision-relevant event, and a traffic line every few seconds. */
function renderer(mode: OutputMode): { onEvent: (e: RunEvent) => void; traffic: (s: RolloutStatus) => void } {
  const c = mode === "tty" ? pc : pc.createColors(false);
  const out = (s: string) => {
    if (mode !== "quiet" && mode !== "json") process.stdout.write(`${s}\n`);
  };
  const pct = (e: number, n: number) => (n === 0 ? "-" : `${((e / n) * 100).toFixed(2)}%`);
  return {
    onEvent: (e) => {
      if (e.type === "window") return;
      if (mode === "json") {
        process.stdout.write(`${JSON.stringify(e)}\n`);
        return;
      }
      switch (e.type) {
        case "rollout-step":
          out(`${c.bold(`step ${e.step + 1}/${e.of}`)} ${e.description}`);
          break;
        case "rollout-weight":
          out(`  ${c.cyan("weight")} canary ${e.weight}% ${c.dim(`(${e.reason})`)}`);
          break;
        case "rollout-measurement": {
          const mark =
            e.phase === "Successful"
              ? c.green("✓")
              : e.phase === "Failed" || e.phase === "Error"
                ? c.red("✗")
                : c.yellow("?");
          const who = e.step < 0 ? "background" : `step ${e.step + 1}`;
          out(
            `  ${mark} ${who} analysis #${e.index + 1}: ${e.phase}${e.score !== undefined ? ` score ${e.score}` : ""}`,
          );
          // An Argo metric has no judged metrics: its reason is the condition and the result.
          if (e.metrics.length === 0) out(`      ${e.analysis.padEnd(12)} ${c.dim(e.reason)}`);
          for (const m of e.metrics) {
            const cls =
              m.classification === "Pass"
                ? c.green(m.classification)
                : m.classification === "NoData"
                  ? c.yellow(c.bold("NO DATA"))
                  : c.red(m.classification);
            out(
              `      ${m.name.padEnd(12)} ${cls}${m.critical ? c.red(" critical") : ""} ${c.dim(m.reason)}`,
            );
          }
          if (e.phase !== "Successful") out(`      ${c.dim(e.reason)}`);
          // A pact gate: every broken interaction with its mismatches, in Pact's words.
          for (const i of e.contract?.interactions ?? []) {
            if (i.status !== "failed" && i.status !== "error") continue;
            out(
              `      ${c.red("✗")} ${i.consumer}: ${i.description} ${c.dim(`(${i.request.method} ${i.request.url})`)}`,
            );
            if (i.error) out(`          ${i.error}`);
            for (const m of i.mismatches)
              out(`          ${m.type}${m.path ? ` ${m.path}` : ""}: ${m.mismatch}`);
            if (i.mismatchesOmitted)
              out(
                c.dim(
                  `          ... ${i.mismatchesOmitted} more mismatches (withstand pact verify lists them all)`,
                ),
              );
          }
          break;
        }
        case "rollout-paused":
          out(`  ${c.yellow("paused")} ${e.reason}`);
          break;
        case "rollout-resumed":
          out(`  ${c.cyan("resumed")} by ${e.by}`);
          break;
        case "fault-injected":
          if (e.kind === "upstream") out(`  ${c.dim(`${e.activity}: ${e.targets.join(", ")}`)}`);
          break;
        case "warning":
          out(`  ${c.yellow("warning")} ${e.message}`);
          break;
        default:
          break;
      }
    },
    traffic: (s) =>
      s.flag
        ? out(
            c.dim(
              `  flag ${s.flag.key}: ${s.flag.variant} ${s.weight}%, ${s.flag.baseline || "the rest"} ${100 - s.weight}%`,
            ),
          )
        : out(
            c.dim(
              `  traffic: stable ${s.stable.requests} req ${pct(s.stable.errors, s.stable.requests)} errors${s.baseline ? ` · baseline ${s.baseline.requests} req ${pct(s.baseline.errors, s.baseline.requests)} errors` : ""} · canary ${s.canary.requests} req ${pct(s.canary.errors, s.canary.requests)} errors · weight ${s.weight}%`,
            ),
          ),
  };
}

export interface SessionHooks {
  /** Called with the router's address once it listens (the demo starts its load here). */
  onListening?: (address: string) => void;
  /** Awaited after the decision, before the router closes. */
  beforeClose?: () => Promise<void>;
}

/** Runs one rollout as a `rollout` run (engine/lifecycle.ts) with the live view and the decision line. */
export async function rolloutSession(
  spec: RolloutSpec,
  flags: RolloutFlags,
  hooks: SessionHooks = {},
): Promise<RolloutResult & { runId: string }> {
  spec = await withChange(spec, flags);
  const mode = outputMode(flags);
  const view = renderer(mode);
  const c = mode === "tty" ? pc : pc.createColors(false);
  const shown = mode !== "json" && mode !== "quiet";
  let result: RolloutResult | undefined;
  const record = await runLifecycle(rolloutKind, spec, {
    store: flags.store,
    signals: true,
    listeners: [
      view.onEvent,
      (e) => {
        if (e.type === "run-started" && shown)
          process.stdout.write(
            `${c.bold("withstand")} rollout ${c.dim(e.runId)}: ${spec.name} (${spec.steps.length} steps)\n${
              spec.flag
                ? `  flag ${spec.flag.key} on ${spec.flag.server}: variant ${spec.flag.variant} · control: withstand rollout status|promote|abort ${spec.name}\n`
                : ""
            }`,
          );
      },
    ],
    options: {
      onListening: (address, metrics) => {
        if (shown)
          process.stdout.write(
            `  router on http://${address}${metrics ? ` · metrics on http://${metrics}/metrics` : ""} · control: withstand rollout status|promote|abort ${spec.name}\n`,
          );
        hooks.onListening?.(address);
      },
      ...(hooks.beforeClose ? { beforeClose: hooks.beforeClose } : {}),
      onTraffic: view.traffic,
      onResult: (r) => {
        result = r;
      },
    } satisfies Partial<RolloutOptions>,
  }).catch((err: unknown) => {
    // Before anything was recorded: the name is taken, or the store cannot be opened.
    if (err instanceof WithstandError) failUsage(err.message);
    throw err;
  });
  resultOf(record);
  if (!result) throw new Error(`rollout ${spec.name} ended without a decision: ${record.reason}`);
  printDecision(result, spec, mode, view);
  return { ...result, exitCode: reportRecord(record) as typeof result.exitCode, runId: record.runId };
}

/** The decision line (and the stderr reason of a rollout that could not start). */
function printDecision(
  result: RolloutResult,
  spec: RolloutSpec,
  mode: ReturnType<typeof outputMode>,
  view: ReturnType<typeof renderer>,
): void {
  const c = mode === "tty" ? pc : pc.createColors(false);
  if (result.decision === "not-started")
    process.stderr.write(
      // A reason that already names its place (file:line:col) is not prefixed with the file again.
      `withstand: ${result.reason.startsWith(`${spec.file}:`) ? "" : `${spec.file}: `}${result.reason}\n`,
    );
  if (mode === "quiet") process.stdout.write(`${result.decision}\n`);
  else if (mode !== "json") {
    view.traffic(result.status);
    const colour =
      result.decision === "promoted" ? c.green : result.decision === "aborted" ? c.yellow : c.red;
    const label = colour(c.bold(result.decision.replace("-", " ").toUpperCase()));
    process.stdout.write(`${label} ${spec.name} in ${formatDuration(result.durationMs)}: ${result.reason}\n`);
  }
}

async function runRollout(file: string, flags: RolloutFlags): Promise<ExitCode> {
  const { spec, diagnostics } = await loadRollout(file, flags.template ?? []);
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!spec || hasErrors(diagnostics)) return EXIT.invalid;
  return (await rolloutSession(spec, flags)).exitCode;
}

function pickRollout(name: string | undefined): string {
  if (name) return name;
  const active = activeRollouts();
  if (active.length === 1 && active[0]) return active[0].name;
  if (active.length === 0) failUsage("no rollout is running on this machine", "WS_ROLLOUT_CONFLICT");
  failUsage(
    `several rollouts are running (${active.map((a) => a.name).join(", ")}): name one`,
    "WS_ROLLOUT_CONFLICT",
  );
}

async function controlCommand(
  action: string,
  name: string | undefined,
  flags: RolloutFlags,
): Promise<ExitCode> {
  if (action === "status" && !name) {
    const active = activeRollouts();
    if (flags.json) process.stdout.write(`${JSON.stringify(active)}\n`);
    else if (active.length === 0) process.stdout.write("no rollout is running\n");
    else
      for (const s of active)
        process.stdout.write(
          `${s.name}  ${s.phase}  step ${s.step + 1}/${s.steps.length}  canary ${s.weight}%  ${s.message}\n`,
        );
    return EXIT.ok;
  }
  const target = pickRollout(name);
  let reply: { status: number; body: unknown };
  try {
    reply =
      action === "status"
        ? await sendControl(target, "GET", "/status")
        : action === "promote"
          ? await sendControl(
              target,
              "POST",
              `/promote${flags.full ? "?full=1" : flags.skipAnalysis ? "?skip-analysis=1" : ""}`,
            )
          : await sendControl(
              target,
              "POST",
              `/abort?reason=${encodeURIComponent(flags.reason ?? "aborted by the user")}`,
            );
  } catch (err) {
    failUsage(`rollout ${action} ${target}: ${(err as Error).message}`);
  }
  if (flags.json || action === "status") {
    const s = reply.body as RolloutStatus;
    if (flags.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else {
      process.stdout.write(
        `${s.name}: ${s.phase}, step ${s.step + 1}/${s.steps.length}, canary weight ${s.weight}%, router http://${s.router}\n  ${s.message}\n`,
      );
      s.steps.forEach((d, i) => {
        process.stdout.write(`  ${i === s.step ? "▶" : " "} ${i + 1}. ${d}\n`);
      });
      for (const a of s.analyses) {
        const last = a.measurements.at(-1);
        process.stdout.write(
          `  analysis ${a.name} (${a.step < 0 ? "background" : `step ${a.step + 1}`}): ${a.phase}, ${a.measurements.length} measurements${last ? `; last: ${last.reason}` : ""}\n`,
        );
      }
    }
  } else process.stdout.write(`${target}: ${(reply.body as { message: string }).message}\n`);
  return EXIT.ok;
}

export async function rolloutCommand(
  first: string,
  name: string | undefined,
  flags: RolloutFlags,
): Promise<ExitCode> {
  if (ACTIONS.includes(first)) return controlCommand(first, name, flags);
  if (name !== undefined)
    failUsage(`rollout ${first} ${name}: expected one FILE, or status|promote|abort [NAME]`);
  return runRollout(first, flags);
}
