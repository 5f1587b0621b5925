import { readFileSync } from "node:fs";
import { loadGossfiles, readVars } from "../checks/gossfile.js";
import { FORMAT_OPTIONS, FORMATS, type Format, render } from "../checks/outputs.js";
import { runUntilPassing } from "../checks/run.js";
import { parseDuration } from "../core/duration.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { failUsage } from "./fail.js";

export interface CheckFlags {
  gossfile?: string;
  vars?: string;
  varsInline?: string;
  format?: string;
  formatOptions?: string[];
  retryTimeout?: string;
  sleep?: string;
  maxConcurrent?: string;
  package?: string;
  color?: boolean;
}

function durationFlag(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // Goss takes Go durations (10s, 500ms) and a bare 0.
  const ms = value === "0" ? 0 : parseDuration(value);
  if (ms === undefined || ms < 0) failUsage(`${flag} ${value}: expected a duration such as 10s or 500ms`);
  return ms;
}

/** Flags first, then Goss's GOSS_* environment variables, then Goss's defaults. */
function settings(files: string[], flags: CheckFlags, env: NodeJS.ProcessEnv) {
  const format = (flags.format ?? env.GOSS_FMT ?? "rspecish") as Format;
  if (!FORMATS.includes(format)) failUsage(`--format ${format}: expected one of ${FORMATS.join(", ")}`);
  // Repeated -o, or one -o with a comma-separated list, as GOSS_FMT_OPTIONS takes it.
  const options = (flags.formatOptions ?? (env.GOSS_FMT_OPTIONS ? [env.GOSS_FMT_OPTIONS] : []))
    .flatMap((o) => o.split(/[,\s]+/))
    .filter(Boolean);
  for (const o of options)
    if (!(FORMAT_OPTIONS as readonly string[]).includes(o))
      failUsage(`--format-options ${o}: expected one of ${FORMAT_OPTIONS.join(", ")}`);
  const maxRaw = flags.maxConcurrent ?? env.GOSS_MAX_CONCURRENT ?? "50";
  const maxConcurrent = Number(maxRaw);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)
    failUsage(`--max-concurrent ${maxRaw}: expected a whole number of at least 1`);
  const pkg = flags.package ?? env.GOSS_PACKAGE;
  if (pkg !== undefined && pkg !== "deb" && pkg !== "dpkg")
    failUsage(
      `--package ${pkg}: withstand reads Debian's package database only (deb); rpm, apk and pacman are not supported`,
    );
  const gossfiles = files.length > 0 ? files : [flags.gossfile ?? env.GOSS_FILE ?? "./goss.yaml"];
  return {
    gossfiles,
    format,
    options,
    maxConcurrent,
    retryTimeoutMs: durationFlag("--retry-timeout", flags.retryTimeout ?? env.GOSS_RETRY_TIMEOUT, 0),
    sleepMs: durationFlag("--sleep", flags.sleep ?? env.GOSS_SLEEP, 1000),
    color: flags.color ?? (process.stdout.isTTY === true && !env.NO_COLOR),
  };
}

/**
 * `withstand check [FILE...]`: validates the system against Gossfiles, read unchanged (templates,
 * includes, matchers), and prints Goss's output formats with Goss's exit codes.
 */
export async function checkCommand(files: string[], flags: CheckFlags): Promise<ExitCode> {
  const env = process.env;
  const s = settings(files, flags, env);
  let vars: Record<string, unknown>;
  try {
    vars = readVars(flags.vars ?? env.GOSS_VARS, flags.varsInline ?? env.GOSS_VARS_INLINE);
  } catch (err) {
    failUsage(`--vars: ${(err as Error).message}`);
  }
  const loaded = loadGossfiles(s.gossfiles, { vars, env, stdin: () => readFileSync(0, "utf8") });
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(loaded.diagnostics)) return EXIT.invalid;
  // Timed as Goss times "Total Duration": from the start of validation, the Gossfile already read.
  const started = performance.now();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const results = await runUntilPassing(loaded.entries, {
      maxConcurrent: s.maxConcurrent,
      signal: controller.signal,
      retryTimeoutMs: s.retryTimeoutMs,
      sleepMs: s.sleepMs,
      onRetry: (failed) =>
        process.stderr.write(
          `Retrying in ${(s.sleepMs / 1000).toFixed(3)}s (elapsed/timeout ${((performance.now() - started) / 1000).toFixed(3)}s/${(s.retryTimeoutMs / 1000).toFixed(3)}s): ${failed} failed\n`,
        ),
    });
    if (controller.signal.aborted) return EXIT.aborted;
    const out = render(s.format, results, {
      color: s.color,
      options: s.options,
      durationMs: performance.now() - started,
    });
    process.stdout.write(out.text);
    return out.exitCode as ExitCode;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
