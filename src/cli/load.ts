import pc from "picocolors";
import { parseDuration } from "../core/duration.js";
import type { Listener } from "../core/events.js";
import { EXIT } from "../core/exit-codes.js";
import {
  DEFAULT_GATE,
  executorDurationMs,
  type LoadPlan,
  parseRate,
  parseSegment,
  type Segment,
} from "../core/load-plan.js";
import { meaningOf } from "../core/run-outcome.js";
import { summarize, toStored, type Window } from "../core/window.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { DEFAULT_MAX_REQUESTS, remoteTargets } from "../documents/load-test.js";
import { loadLoadTestFile } from "../documents/load-test-file.js";
import { runLifecycle } from "../engine/lifecycle.js";
import type { LoadOutcome } from "../load/coordinator.js";
import { HdrLogWriter } from "../load/hdr-log.js";
import { type summaryJson, summaryText, windowLine } from "../load/report.js";
import { type LoadOptions, type LoadRun, loadKind } from "../runs/load.js";
import { SERVICES } from "../services/index.js";
import { failUsage } from "./fail.js";
import { type LoadFlags, parseThresholdFlag, positiveInt } from "./load-flags.js";
import { checkGroupName, joinGroup } from "./load-group.js";
import { writeSummaryFiles } from "./load-summary.js";
import { outputMode } from "./output.js";
import { reportRecord, resultOf } from "./store-failures.js";
import { writeOutput } from "./write-output.js";

function quickPlan(url: string, flags: LoadFlags): LoadPlan {
  if (!/^https?:\/\//.test(url)) failUsage(`${url}: expected an http:// or https:// URL or a LoadTest file`);
  try {
    new URL(url);
  } catch {
    failUsage(`${url}: not a valid URL`);
  }
  const durationMs = parseDuration(flags.duration ?? "10s");
  if (durationMs === undefined || durationMs <= 0)
    failUsage(`--duration ${flags.duration}: expected a duration such as 30s or 5m`);
  const headers: Record<string, string> = {};
  for (const h of flags.header ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) failUsage(`--header ${h}: expected "Name: value"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  let executor: LoadPlan["executor"];
  let connections: number;
  if (flags.rate !== undefined) {
    const rate = parseRate(flags.rate);
    if (rate === undefined)
      failUsage(`--rate ${flags.rate}: expected requests per second such as 1000/s, 600/m or 50`);
    executor = { type: "constant-arrival-rate", rate, durationMs };
    connections = positiveInt("--connections", flags.connections, 64, 100_000);
  } else {
    // Without --rate: a closed model at full speed, one VU per connection, like wrk and autocannon.
    connections = positiveInt("--connections", flags.connections, 10, 100_000);
    executor = { type: "constant-vus", vus: connections, durationMs };
  }
  const timeoutMs = parseDuration(flags.timeout ?? "10s");
  if (timeoutMs === undefined || timeoutMs <= 0)
    failUsage(`--timeout ${flags.timeout}: expected a duration such as 5s`);
  return {
    name: new URL(url).host,
    executor,
    requests: [{ method: (flags.method ?? "GET").toUpperCase(), url, headers, body: flags.body, weight: 1 }],
    connections,
    timeoutMs,
    maxRequests: DEFAULT_MAX_REQUESTS,
    thresholds: [],
    workers: 1,
  };
}

interface Totals {
  count: number;
  errors: number;
  dropped: number;
}

function progressLine(
  total: Totals,
  elapsedMs: number,
  durationMs: number,
  last: Window,
  colour: boolean,
): string {
  const c = colour ? pc : pc.createColors(false);
  const width = 24;
  const f = Math.min(1, durationMs > 0 ? elapsedMs / durationMs : 1);
  const bar = `${"=".repeat(Math.floor(f * width))}${f < 1 ? ">" : ""}`.padEnd(width);
  const s = summarize(last);
  const errorRate = total.count > 0 ? total.errors / total.count : 0;
  const rate = last.count / Math.max(0.001, (last.end - last.start) / 1000);
  const left = Math.max(0, Math.round((durationMs - elapsedMs) / 1000));
  return `[${c.cyan(bar)}] ${Math.round(elapsedMs / 1000)}s/${Math.round(durationMs / 1000)}s (${left}s left)  ${rate.toFixed(0)} req/s  p50 ${s.latencyMs.med.toFixed(2)}ms  p99 ${s.latencyMs.p99.toFixed(2)}ms  errors ${(errorRate * 100).toFixed(2)}%${total.dropped ? `  dropped ${total.dropped}` : ""}`;
}

export async function loadCommand(target: string, rest: string[], flags: LoadFlags): Promise<number> {
  if (target === "merge") {
    const { mergeCommand } = await import("./load-merge.js");
    return mergeCommand(rest, flags);
  }
  if (target === "report") {
    const { groupReportCommand } = await import("./load-report.js");
    return groupReportCommand(rest, flags);
  }
  if (target === "export") {
    const { exportCommand } = await import("./load-export.js");
    return exportCommand(rest, flags);
  }
  if (rest.length > 0) failUsage(`load: unexpected argument ${rest[0]} (expected one URL or LoadTest file)`);
  let plan: LoadPlan;
  if (/^https?:\/\//.test(target)) plan = quickPlan(target, flags);
  else {
    const loaded = await loadLoadTestFile(target);
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!loaded.plan || hasErrors(loaded.diagnostics)) return EXIT.invalid;
    plan = loaded.plan;
    for (const flag of ["rate", "duration", "connections", "method", "body"] as const) {
      if (flags[flag] !== undefined)
        failUsage(`--${flag}: set it in the LoadTest document ${target} (flags shape only the quick form)`);
    }
  }
  const declared = new Set(plan.requests.flatMap((q) => Object.keys(q.tags ?? {})));
  plan.thresholds.push(...(flags.threshold ?? []).map((t) => parseThresholdFlag(t, declared)));
  if (plan.thresholds.length === 0) plan.thresholds.push({ ...DEFAULT_GATE });
  if (flags.workers !== undefined) plan.workers = positiveInt("--workers", flags.workers, 1, 64);
  if (flags.maxRequests !== undefined)
    plan.maxRequests = positiveInt("--max-requests", flags.maxRequests, DEFAULT_MAX_REQUESTS);
  if (flags.segment !== undefined) {
    if (flags.segmentOf !== undefined) failUsage("--segment-of: give either --segment i/N or --segment-of N");
    const segment = parseSegment(flags.segment);
    if (!segment) failUsage(`--segment ${flags.segment}: expected i/N with 1 <= i <= N, e.g. 2/4`);
    plan.segment = segment;
  }
  if (flags.segmentOf !== undefined) plan.segment = indexedJobSegment(flags.segmentOf);
  if (flags.group !== undefined) checkGroupName("--group", flags.group);
  const remote = remoteTargets(plan);
  if (remote.length > 0 && !flags.allowRemote)
    failUsage(`${remote[0]}: not a loopback address; pass --allow-remote to load another host`);
  let ndjsonFile: string | undefined;
  for (const o of flags.out ?? []) {
    const m = /^ndjson=(.+)$/.exec(o);
    if (!m) failUsage(`--out ${o}: expected ndjson=FILE`);
    ndjsonFile = m[1];
  }

  return loadRun(plan, target, flags, outputMode(flags), ndjsonFile);
}

/** `--segment-of N` in a Kubernetes Indexed Job: pod JOB_COMPLETION_INDEX (0-based) runs share index+1 of N. */
function indexedJobSegment(of: string): Segment {
  const count = positiveInt("--segment-of", of, 1, 100_000);
  const raw = process.env.JOB_COMPLETION_INDEX;
  if (raw === undefined)
    failUsage(
      `--segment-of ${of}: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it); elsewhere use --segment i/N`,
    );
  const index = Number(raw);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    failUsage(`--segment-of ${of}: JOB_COMPLETION_INDEX=${raw} is not a whole number from 0 to ${count - 1}`);
  return { index: index + 1, count };
}

/** Says so when the default gate judged the run, so a user knows why it passed or failed. */
function gateNote(plan: LoadPlan): string {
  return plan.thresholds.some((t) => t.loc === DEFAULT_GATE.loc)
    ? `  no thresholds given: the default gate ${DEFAULT_GATE.metric} ${DEFAULT_GATE.expression} judged this run (--threshold replaces it)\n`
    : "";
}

/** Runs the plan as a `load` run (engine/lifecycle.ts) with the CLI's live view, files and summary. */
async function loadRun(
  plan: LoadPlan,
  target: string,
  flags: LoadFlags,
  mode: ReturnType<typeof outputMode>,
  ndjsonFile: string | undefined,
): Promise<number> {
  const colour = mode === "tty";
  const durationMs = executorDurationMs(plan.executor);
  const ndjson: string[] = [];
  const hdrLog = flags.hdrLog ? new HdrLogWriter(Date.now(), plan.thresholds) : undefined;
  const totals: Totals = { count: 0, errors: 0, dropped: 0 };
  let started = Date.now();
  let last: LoadOutcome | undefined;
  const listeners: Listener[] = [];
  // Windows (histograms) go to the store, not the NDJSON stream; --out ndjson= writes them.
  if (mode === "json")
    listeners.push((e) => e.type !== "window" && void process.stdout.write(`${JSON.stringify(e)}\n`));
  if (mode === "tty" || mode === "plain")
    listeners.push((e) => {
      if (e.type !== "run-started") return;
      started = Date.now();
      process.stdout.write(`${startLine(plan, durationMs, flags.group)} (run ${e.runId})\n`);
    });
  const record = await runLifecycle(
    loadKind,
    { plan, source: target, group: flags.group } satisfies LoadRun,
    {
      store: flags.store,
      signals: true,
      services: SERVICES,
      listeners,
      options: {
        join: flags.group
          ? (runId) => joinGroup(flags.group as string, flags.store, runId, plan)
          : async () => undefined,
        onWindow: (w, index) => {
          if (ndjsonFile) ndjson.push(windowLine(w, toStored(w)));
          hdrLog?.add(w);
          totals.count += w.count;
          totals.errors += w.errors;
          totals.dropped += w.dropped;
          if (mode === "tty")
            process.stdout.write(
              `\r\x1b[K${progressLine(totals, Date.now() - started, durationMs, w, colour)}`,
            );
          else if (mode === "plain" && index % 5 === 4)
            process.stdout.write(`${progressLine(totals, Date.now() - started, durationMs, w, false)}\n`);
        },
        onOutcome: (o) => {
          last = o;
          if (mode === "tty") process.stdout.write("\r\x1b[K");
        },
      } satisfies Partial<LoadOptions>,
    },
  );
  writeSummaryFiles(flags, resultOf<ReturnType<typeof summaryJson>>(record));
  if (ndjsonFile) writeOutput("--out", ndjsonFile, ndjson.length ? `${ndjson.join("\n")}\n` : "");
  if (hdrLog && flags.hdrLog) writeOutput("--hdr-log", flags.hdrLog, hdrLog.text());
  if (last && (mode === "tty" || mode === "plain"))
    process.stdout.write(
      `\n${summaryText(last.total, last.thresholds, last.abortedBy)}\n${gateNote(plan)}  run ${record.runId}: ${record.reason} (exit ${meaningOf(record.outcome).exitCode})\n`,
    );
  else if (mode === "quiet")
    process.stdout.write(
      `${record.reason} (run ${record.runId}, exit ${meaningOf(record.outcome).exitCode})\n`,
    );
  return reportRecord(record);
}

function startLine(plan: LoadPlan, durationMs: number, group: string | undefined): string {
  const what =
    plan.executor.type === "constant-arrival-rate" ? `${plan.executor.rate}/s` : plan.executor.type;
  return `${pc.bold("withstand load")} ${plan.requests.map((q) => `${q.method} ${q.url}`).join(", ")}: ${what} for ${Math.round(durationMs / 1000)}s over ${plan.connections} connections${plan.workers > 1 ? ` and ${plan.workers} workers` : ""}${plan.segment ? `, segment ${plan.segment.index}/${plan.segment.count}` : ""}${group ? ` in group ${group}` : ""}`;
}
