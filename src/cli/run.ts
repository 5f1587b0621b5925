import { parseDuration } from "../core/duration.js";
import { formatError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import {
  HYPOTHESIS_STRATEGIES,
  type HypothesisStrategy,
  ROLLBACK_STRATEGIES,
  type RollbackStrategy,
} from "../core/experiment.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadExperimentFile } from "../documents/experiment-file.js";
import { parseVar, readVarFile, UsageError } from "../engine/vars.js";
import { failUsage } from "./fail.js";
import { outputMode } from "./output.js";
import { runSession } from "./run-session.js";

export interface RunFlags {
  journalPath?: string;
  rollbackStrategy?: string;
  hypothesisStrategy?: string;
  hypothesisFrequency?: string;
  failFast?: boolean;
  var?: string[];
  varFile?: string[];
  deadline?: string;
  dryRun?: boolean;
  allowRemote?: boolean;
  json?: boolean;
  quiet?: boolean;
  store?: string;
}

export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  if (flags.rollbackStrategy && !ROLLBACK_STRATEGIES.includes(flags.rollbackStrategy as RollbackStrategy)) {
    failUsage(
      `--rollback-strategy ${flags.rollbackStrategy}: expected one of ${ROLLBACK_STRATEGIES.join(", ")}`,
    );
  }
  if (
    flags.hypothesisStrategy &&
    !HYPOTHESIS_STRATEGIES.includes(flags.hypothesisStrategy as HypothesisStrategy)
  ) {
    failUsage(
      `--hypothesis-strategy ${flags.hypothesisStrategy}: expected one of ${HYPOTHESIS_STRATEGIES.join(", ")}`,
    );
  }
  const frequencyMs =
    flags.hypothesisFrequency === undefined ? undefined : parseDuration(flags.hypothesisFrequency);
  if (flags.hypothesisFrequency !== undefined && (frequencyMs === undefined || frequencyMs <= 0)) {
    failUsage(
      `--hypothesis-frequency ${flags.hypothesisFrequency}: expected seconds or a duration such as 500ms, 2s`,
    );
  }
  const deadlineMs = flags.deadline === undefined ? undefined : parseDuration(flags.deadline);
  if (flags.deadline !== undefined && (deadlineMs === undefined || deadlineMs <= 0)) {
    failUsage(`--deadline ${flags.deadline}: expected a duration such as 30s, 5m`);
  }
  const overrides = { configuration: {} as Record<string, unknown>, secrets: {} as Record<string, unknown> };
  try {
    for (const f of flags.varFile ?? []) {
      const v = readVarFile(f);
      Object.assign(overrides.configuration, v.configuration);
      Object.assign(overrides.secrets, v.secrets);
      // A .env file sets the environment of this run, as Chaos Toolkit does (never overriding the caller's).
      for (const [k, value] of Object.entries(v.env)) process.env[k] ??= value;
    }
    for (const v of flags.var ?? []) {
      const [k, value] = parseVar(v);
      overrides.configuration[k] = value;
    }
  } catch (err) {
    if (err instanceof UsageError) failUsage(err.message);
    throw err;
  }

  const loaded = await loadExperimentFile(file);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.spec || hasErrors(loaded.diagnostics)) return EXIT.invalid;

  const mode = outputMode(flags);
  const result = await runSession(loaded.spec, {
    mode,
    store: flags.store,
    journalPath: flags.journalPath,
    deadlineMs,
    dryRun: flags.dryRun ?? false,
    allowRemote: flags.allowRemote ?? false,
    overrides,
    hypothesisStrategy: flags.hypothesisStrategy as HypothesisStrategy | undefined,
    hypothesisFrequencyMs: frequencyMs,
    failFast: flags.failFast,
    rollbackStrategy: flags.rollbackStrategy as RollbackStrategy | undefined,
  });
  if (result.usageError)
    process.stderr.write(`${formatError(result.usageCode ?? "WS_CONFIG", result.usageError)}\n`);
  return result.exitCode;
}
