import { createColors } from "picocolors";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { runLifecycle } from "../engine/lifecycle.js";
import { loadPacts } from "../pact/load.js";
import { textReport } from "../pact/report.js";
import type { StateHandler } from "../pact/states.js";
import { type InteractionResult, selectInteractions, verdictOf } from "../pact/verify.js";
import { junitReport } from "../report/report.js";
import { pactKind } from "../runs/pact.js";
import type { RunDetail } from "../store/store.js";
import { failUsage } from "./fail.js";
import { reportRecord, resultOf } from "./store-failures.js";
import { writeOutput } from "./write-output.js";

export interface PactVerifyFlags {
  providerBaseUrl?: string;
  stateChangeUrl?: string;
  stateChangeTeardown?: boolean;
  stateCommand?: string;
  consumer?: string;
  interaction?: string;
  state?: string;
  header?: string[];
  timeout?: string;
  junit?: string;
  json?: boolean;
  quiet?: boolean;
  store?: string;
}

function httpUrl(flag: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === "http:" || u.protocol === "https:") return value;
  } catch {
    // fall through to the usage error
  }
  return failUsage(`${flag} ${value}: expected an http:// or https:// URL`);
}

function stateHandler(flags: PactVerifyFlags): StateHandler {
  if (flags.stateChangeUrl && flags.stateCommand)
    failUsage("--state-change-url and --state-command: expected one of them, not both");
  const teardown = flags.stateChangeTeardown === true;
  if (flags.stateChangeUrl)
    return { kind: "url", url: httpUrl("--state-change-url", flags.stateChangeUrl), teardown };
  if (flags.stateCommand) return { kind: "command", command: flags.stateCommand, teardown };
  return { kind: "none" };
}

function headersOf(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of values ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) failUsage(`--header ${h}: expected "Name: value"`);
    out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return out;
}

function timeoutOf(value: string | undefined): number {
  if (value === undefined) return 30_000;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
  const ms = m ? Number(m[1]) * (m[2] === "ms" ? 1 : 1000) : Number.NaN;
  if (!(ms > 0) || ms > 3_600_000)
    failUsage(`--timeout ${value}: expected a duration from 1ms to 1h, such as 10s`);
  return ms;
}

/** The stored run as the views read it, for `--junit` (the same JUnit `withstand report` writes). */
function detailOf(
  runId: string,
  title: string,
  source: string,
  results: InteractionResult[],
  exitCode: number,
  ms: number,
): RunDetail {
  const v = verdictOf(results);
  const now = new Date().toISOString();
  return {
    id: runId,
    kind: "pact",
    title,
    source,
    status: "completed",
    deviated: !v.ok,
    outcome: v.ok ? "verified" : "contract-broken",
    exitCode,
    startedAt: now,
    endedAt: now,
    durationMs: ms,
    group: null,
    journal: null,
    result: { results, ...v },
    events: [],
    windows: [],
  };
}

/** `withstand pact verify PACT... --provider-base-url URL`: replays each interaction and judges the answers. */
export async function pactVerifyCommand(files: string[], flags: PactVerifyFlags): Promise<ExitCode> {
  if (!flags.providerBaseUrl)
    failUsage("--provider-base-url: required (the provider's base URL, e.g. http://127.0.0.1:8080)");
  const base = httpUrl("--provider-base-url", flags.providerBaseUrl);
  const states = stateHandler(flags);
  const headers = headersOf(flags.header);
  const timeoutMs = timeoutOf(flags.timeout);
  const { pacts, diagnostics } = await loadPacts(files);
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(diagnostics)) return EXIT.invalid;
  // A pact without interactions (pact-jvm writes one for a consumer test that records none) is
  // valid: pact_verifier passes it with "WARNING: Pact file has no interactions", and so does withstand.
  for (const p of pacts)
    if (p.pact.interactions.length === 0)
      process.stderr.write(
        `withstand: warning: ${p.source}: the pact between ${p.pact.consumer} and ${p.pact.provider} has no interactions (nothing to verify)\n`,
      );
  const filtered =
    flags.consumer !== undefined || flags.interaction !== undefined || flags.state !== undefined;
  if (filtered && selectInteractions(pacts, flags).length === 0) {
    process.stderr.write(
      "withstand: no interaction matches the filters (--consumer, --interaction, --state)\n",
    );
    return EXIT.invalid;
  }
  const record = await runLifecycle(
    pactKind,
    {
      pacts,
      sources: files,
      verify: {
        providerBaseUrl: base,
        states,
        consumer: flags.consumer,
        interaction: flags.interaction,
        state: flags.state,
        headers,
        timeoutMs,
      },
      onResult: (r: InteractionResult) => {
        if (!flags.quiet && !flags.json && process.stderr.isTTY)
          process.stderr.write(`  ${r.status === "verified" ? "✓" : "✗"} ${r.description}\n`);
      },
    },
    { store: flags.store, signals: true },
  );
  const stored = resultOf<{ results: InteractionResult[] } & ReturnType<typeof verdictOf>>(record);
  if (!stored) return reportRecord(record) as ExitCode;
  const { results, ...v } = stored;
  const colours = createColors(process.stdout.isTTY === true);
  if (flags.json)
    process.stdout.write(`${JSON.stringify({ runId: record.runId, ...v, results }, null, 2)}\n`);
  else if (!flags.quiet)
    process.stdout.write(textReport(results, (s, ok) => (ok ? colours.green(s) : colours.red(s))));
  if (flags.junit) {
    const title = pactKind.header(
      { pacts, sources: files, verify: { providerBaseUrl: base, states } },
      {},
    ).title;
    writeOutput(
      "--junit",
      flags.junit,
      junitReport(
        detailOf(record.runId, title, files.join(" "), results, record.exitCode, record.durationMs),
      ),
    );
  }
  return reportRecord(record) as ExitCode;
}
