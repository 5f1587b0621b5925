import { Stream } from "../core/goss-matchers.js";
import { sleep } from "../core/sleep.js";
import type { CheckEntry } from "./gossfile.js";

/** Goss's result codes (resource/validate.go). */
export const SUCCESS = 0;
export const FAIL = 1;
export const SKIP = 2;
export const UNKNOWN = 3;

/** One tested property, in the shape of Goss's TestResult. */
export interface TestResult {
  successful: boolean;
  skipped: boolean;
  resourceId: string;
  resourceType: string;
  property: string;
  title: string;
  meta: unknown;
  result: typeof SUCCESS | typeof FAIL | typeof SKIP | typeof UNKNOWN;
  err: string | null;
  expected: unknown;
  actual: unknown;
  message: string;
  transforms: string[];
  missing?: unknown[];
  startTime: string;
  endTime: string;
  durationNs: number;
}

export interface RunOptions {
  maxConcurrent: number;
  signal: AbortSignal;
}

function streamsOf(entry: CheckEntry): Set<string> {
  return new Set(entry.kind.properties.filter((p) => p.stream).map((p) => p.name));
}

async function runEntry(entry: CheckEntry, signal: AbortSignal): Promise<TestResult[]> {
  const started = process.hrtime.bigint();
  const startTime = new Date().toISOString();
  const base = {
    resourceId: entry.id,
    resourceType: entry.kind.title,
    title: entry.title,
    meta: entry.meta,
    startTime,
  };
  const finish = (partial: Omit<TestResult, keyof typeof base | "endTime" | "durationNs">): TestResult => ({
    ...base,
    ...partial,
    endTime: new Date().toISOString(),
    durationNs: Number(process.hrtime.bigint() - started),
  });
  const skipped = (property: string, expected: unknown) =>
    finish({
      successful: true,
      skipped: true,
      property,
      result: SKIP,
      err: null,
      expected,
      actual: null,
      message: "skipped",
      transforms: [],
    });
  // A property that could not be observed or matched: failed, with why as both the error and the message.
  const errored = (property: string, expected: unknown, err: string): TestResult =>
    finish({
      successful: false,
      skipped: false,
      property,
      result: FAIL,
      err,
      expected,
      actual: null,
      message: err,
      transforms: [],
    });
  if (entry.skip) return entry.tests.map((t) => skipped(t.property, t.expected));
  let observed: Record<string, unknown>;
  try {
    observed = await entry.kind.observe(
      entry.id,
      entry.settings,
      entry.tests.map((t) => t.property),
      {
        signal,
        dir: entry.dir,
      },
    );
  } catch (err) {
    observed = Object.fromEntries(entry.tests.map((t) => [t.property, err as Error]));
  }
  const streams = streamsOf(entry);
  const results: TestResult[] = [];
  let gateFailed = false;
  for (const t of entry.tests) {
    if (gateFailed) {
      results.push(skipped(t.property, t.expected));
      continue;
    }
    const value = observed[t.property];
    if (value instanceof Error || value === undefined) {
      const message = value instanceof Error ? value.message : `${t.property} could not be observed`;
      results.push(errored(t.property, t.expected, message));
      if (t.property === entry.kind.gate) gateFailed = true;
      continue;
    }
    const r = t.matcher(streams.has(t.property) && typeof value === "string" ? new Stream(value) : value);
    if (r.error !== undefined) {
      results.push(errored(t.property, t.expected, r.error));
      continue;
    }
    results.push(
      finish({
        successful: r.ok,
        skipped: false,
        property: t.property,
        result: r.ok ? SUCCESS : FAIL,
        err: null,
        expected: t.expected,
        actual: r.actual,
        message: r.message,
        transforms: r.transforms,
        ...(r.missing ? { missing: r.missing } : {}),
      }),
    );
    if (!r.ok && t.property === entry.kind.gate) gateFailed = true;
  }
  return results;
}

/** Runs every entry, at most `maxConcurrent` at a time; results keep the entries' order. */
export async function runChecks(entries: readonly CheckEntry[], opts: RunOptions): Promise<TestResult[]> {
  const out: TestResult[][] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      const entry = entries[i];
      if (entry) out[i] = await runEntry(entry, opts.signal);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.maxConcurrent, entries.length)) }, worker),
  );
  return out.flat();
}

/**
 * Goss's `--retry-timeout` and `--sleep`: runs again until every test passes or the time is up, and
 * returns the last run's results.
 */
export async function runUntilPassing(
  entries: readonly CheckEntry[],
  opts: RunOptions & { retryTimeoutMs: number; sleepMs: number; onRetry?: (failed: number) => void },
): Promise<TestResult[]> {
  const deadline = Date.now() + opts.retryTimeoutMs;
  for (;;) {
    const results = await runChecks(entries, opts);
    const failed = results.filter((r) => r.result === FAIL).length;
    if (
      failed === 0 ||
      opts.retryTimeoutMs <= 0 ||
      Date.now() + opts.sleepMs > deadline ||
      opts.signal.aborted
    )
      return results;
    opts.onRetry?.(failed);
    await sleep(opts.sleepMs, opts.signal);
  }
}
