import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { GroupTotal } from "../core/group.js";
import type { ThresholdSpec } from "../core/load-plan.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadLoadTestFile } from "../documents/load-test-file.js";
import { summaryJson, summaryText } from "../load/report.js";
import { recordedThresholds, refreshGroup } from "../store/group.js";
import { openStore } from "../store/open.js";
import type { RunSummary, Store } from "../store/store.js";
import { failUsage } from "./fail.js";
import { type LoadFlags, parseThresholdFlag } from "./load-flags.js";
import { checkGroupName } from "./load-group.js";
import { mergedPlan, writeSummaryFiles } from "./load-summary.js";

async function thresholdsFor(
  file: string | undefined,
  flags: LoadFlags,
  store: Store,
  members: RunSummary[],
): Promise<ThresholdSpec[] | undefined> {
  if (flags.threshold?.length) return flags.threshold.map((t) => parseThresholdFlag(t));
  if (file === undefined) return recordedThresholds(store, members);
  const loaded = await loadLoadTestFile(file);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.plan || hasErrors(loaded.diagnostics)) return undefined;
  return loaded.plan.thresholds;
}

function header(group: string, members: RunSummary[], view: GroupTotal): string {
  const running = members.filter((m) => m.status === "running").length;
  const state = running > 0 ? `${running} still running` : "all finished";
  return `withstand load report: group ${group}, ${members.length} generator${members.length === 1 ? "" : "s"} (${state}), ${view.windowCount} windows merged\n`;
}

/**
 * `withstand load report --group NAME [FILE]`: merges the windows every generator of a group wrote to
 * the shared store, exactly, and judges the thresholds over the whole, while the group runs or after.
 */
export async function groupReportCommand(args: string[], flags: LoadFlags): Promise<ExitCode> {
  if (flags.group === undefined)
    failUsage("load report: expected --group NAME (the group the generators joined)");
  checkGroupName("--group", flags.group);
  if (args.length > 1)
    failUsage(`load report: unexpected argument ${args[1]} (expected at most one LoadTest file)`);
  const store = openStore(flags.store);
  try {
    const view = new GroupTotal();
    const members = await refreshGroup(store, flags.group, view);
    if (members.length === 0)
      failUsage(
        `load report: no load run joined group ${flags.group} in this store (--store / WITHSTAND_STORE)`,
      );
    const thresholds = await thresholdsFor(args[0], flags, store, members);
    if (thresholds === undefined) return EXIT.invalid;
    const plan = mergedPlan(flags.group, view.elapsedMs, thresholds, members.length);
    const results = view.evaluate(thresholds);
    const stoppedOn = members.find((m) => m.outcome === "thresholds-failed" && m.status !== "running");
    const summary = summaryJson(plan, view.total, results, view.total.count + view.total.dropped);
    writeSummaryFiles(flags, summary);
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({ group: flags.group, generators: members.map((m) => ({ id: m.id, status: m.status, outcome: m.outcome })), ...summary })}\n`,
      );
    else if (view.windowCount === 0)
      process.stdout.write(`${header(flags.group, members, view)}  no windows yet\n`);
    else {
      process.stdout.write(`${header(flags.group, members, view)}\n${summaryText(view.total, results)}`);
      if (stoppedOn) process.stdout.write(`  generator ${stoppedOn.id} failed its thresholds\n`);
    }
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
  } finally {
    await store.close();
  }
}
