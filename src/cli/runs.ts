import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import { EXIT } from "../core/exit-codes.js";
import { describeTarget } from "../core/fault.js";
import { OUTCOMES } from "../core/run-outcome.js";
import { checksOf, reasonOf } from "../report/report.js";
import { RUN_KINDS } from "../runs/index.js";
import { openStore } from "../store/open.js";
import type { StoredStatus } from "../store/store.js";
import { failUsage } from "./fail.js";

const STATUSES = ["running", "completed", "failed", "aborted", "interrupted"];
/** The outcomes the run list shows; `--status` takes these too (core/run-outcome.ts). */
const OUTCOME_NAMES: readonly string[] = Object.keys(OUTCOMES);

export async function runsListCommand(flags: {
  json?: boolean;
  store?: string;
  status?: string;
  limit?: string;
  kind?: string;
}): Promise<number> {
  if (flags.status && !STATUSES.includes(flags.status) && !OUTCOME_NAMES.includes(flags.status))
    failUsage(`--status ${flags.status}: expected one of ${[...STATUSES, ...OUTCOME_NAMES].join(", ")}`);
  if (flags.kind !== undefined && !RUN_KINDS.has(flags.kind))
    failUsage(`--kind ${flags.kind}: expected one of ${[...RUN_KINDS.keys()].join(", ")}`);
  const limit = flags.limit === undefined ? 50 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit <= 0)
    failUsage(`--limit ${flags.limit}: expected a positive integer`);
  const store = openStore(flags.store);
  try {
    const byOutcome = flags.status !== undefined && OUTCOME_NAMES.includes(flags.status);
    const runs = await store.listRuns({
      ...(flags.kind !== undefined ? { kind: flags.kind } : {}),
      ...(byOutcome ? { outcome: flags.status } : { status: flags.status as StoredStatus | undefined }),
      limit,
    });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ runs })}\n`);
      return EXIT.ok;
    }
    if (runs.length === 0) {
      process.stdout.write("no runs yet: try `withstand demo` or `withstand run EXPERIMENT`\n");
      return EXIT.ok;
    }
    const c = process.stdout.isTTY ? pc : pc.createColors(false);
    process.stdout.write(
      `${c.dim(["RUN".padEnd(24), "STARTED".padEnd(20), "DURATION".padEnd(9), "OUTCOME".padEnd(14), "TITLE"].join(" "))}\n`,
    );
    for (const r of runs) {
      const outcome = r.outcome ?? r.status;
      const colour =
        outcome === "held"
          ? c.green
          : outcome === "running"
            ? c.cyan
            : outcome === "deviated" || outcome === "failed"
              ? c.red
              : c.yellow;
      process.stdout.write(
        `${r.id.padEnd(24)} ${r.startedAt.slice(0, 19).replace("T", " ").padEnd(20)} ${(r.durationMs === null ? "-" : formatDuration(r.durationMs)).padEnd(9)} ${colour(outcome.padEnd(14))} ${r.title}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function runsShowCommand(
  id: string,
  flags: { json?: boolean; store?: string },
): Promise<number> {
  const store = openStore(flags.store);
  try {
    const run = await store.getRun(id);
    if (!run) {
      const matches = await store.listRuns({ idPrefix: id, limit: 10 });
      failUsage(
        matches.length > 1
          ? `runs show ${id}: the prefix matches ${matches.length >= 10 ? "10 or more" : matches.length} runs (expected one): ${matches.map((m) => `${m.id} (${m.title})`).join(", ")}`
          : `runs show ${id}: no run with that id or unique prefix (see \`withstand runs\`)`,
        "WS_RUN_NOT_FOUND",
      );
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(run)}\n`);
      return EXIT.ok;
    }
    const j = run.journal;
    const lines = [
      `run       ${run.id}`,
      `title     ${run.title}`,
      `source    ${run.source}`,
      `status    ${run.status}${run.deviated ? " (deviated)" : ""}; outcome ${run.outcome ?? "-"}; exit ${run.exitCode ?? "-"}`,
      `started   ${run.startedAt}`,
      `ended     ${run.endedAt ?? "-"} (${run.durationMs === null ? "-" : formatDuration(run.durationMs)})`,
    ];
    if (j) {
      lines.push(`reason    ${j.withstand.reason}`);
      lines.push(
        `before    ${j.steady_states.before ? (j.steady_states.before.steady_state_met ? "met" : "not met") : "not checked"}`,
      );
      lines.push(
        `after     ${j.steady_states.after ? (j.steady_states.after.steady_state_met ? "met" : "not met") : "not checked"}`,
      );
      lines.push("activities:");
      for (const a of j.run)
        lines.push(
          `  ${a.status === "succeeded" && a.tolerance_met !== false ? "✓" : "✗"} ${String(a.activity.name)} (${a.duration.toFixed(3)}s)`,
        );
      for (const a of j.rollbacks) lines.push(`  ↺ rollback ${String(a.activity.name)} ${a.status}`);
      lines.push("faults:");
      for (const f of j.withstand.faults)
        lines.push(
          `  ${f.kind} by ${f.activity} on ${f.targets.map(describeTarget).join(", ")}: injected ${f.injected_at}, reverted ${f.reverted_at ?? "NEVER"} (${f.revert})`,
        );
    } else if (run.status === "running") {
      lines.push(`events    ${run.events.length} recorded so far (the run has not finished)`);
    } else {
      // Load runs and rollouts record a result, not a journal: show their checks.
      lines.push(`reason    ${reasonOf(run)}`);
      const checks = checksOf(run);
      if (checks.length > 0) lines.push("checks:");
      for (const c of checks)
        lines.push(`  ${c.ok ? "✓" : "✗"} ${c.suite}: ${c.name}${c.ok ? "" : ` (${c.message})`}`);
      lines.push(`events    ${run.events.length} recorded; ${run.windows.length} windows`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
