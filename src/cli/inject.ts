import { parse } from "yaml";
import { parseDuration } from "../core/duration.js";
import { formatError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import { suggest } from "../core/suggest.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { readExperiment } from "../documents/experiment.js";
import { knownKeysAt } from "../documents/reporter.js";
import { parseSource } from "../documents/source.js";
import { FAULT_KINDS } from "../faults/index.js";
import { failUsage } from "./fail.js";
import { outputMode } from "./output.js";
import { runSession } from "./run-session.js";

/** The flags `inject` itself takes; every other `--name value` is an attribute of the fault. */
const OWN = ["duration", "deadline", "dry-run", "json", "quiet", "store"];
/** Without --duration the fault holds until Ctrl-C, `withstand halt` or --deadline (timers cap at ~24 days). */
const HOLD_MS = 20 * 86_400_000;

interface Parsed {
  attributes: Record<string, unknown>;
  own: Record<string, string | true>;
}

/** `--load 80% --cores [0,1] --select.command orders`: values are YAML scalars, flows or lists. */
function parseFlags(tokens: readonly string[]): Parsed {
  const attributes: Record<string, unknown> = {};
  const own: Record<string, string | true> = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const m = /^--([A-Za-z][\w.-]*)(?:=(.*))?$/.exec(token);
    if (!m) failUsage(`inject: unexpected ${JSON.stringify(token)} (expected --ATTRIBUTE VALUE)`);
    const name = m[1] as string;
    const next = tokens[i + 1];
    const flagOnly = name === "dry-run" || name === "json" || name === "quiet";
    const takesNext = m[2] === undefined && !flagOnly && next !== undefined && !next.startsWith("--");
    const value = m[2] ?? (takesNext ? next : undefined);
    if (takesNext) i++;
    if (OWN.includes(name)) {
      own[name] = value ?? true;
      continue;
    }
    let parsed: unknown = value === undefined ? true : value;
    if (value !== undefined) {
      try {
        parsed = parse(value);
      } catch {
        parsed = value;
      }
      // 1e309 is Infinity to YAML: keep what was typed, so an error can show it.
      if (typeof parsed === "number" && !Number.isFinite(parsed)) parsed = value;
    }
    // Dotted names build mappings: --select.command orders is select: {command: orders}.
    const path = name.split(".");
    let at = attributes;
    for (const p of path.slice(0, -1)) {
      if (typeof at[p] !== "object" || at[p] === null) at[p] = {};
      at = at[p] as Record<string, unknown>;
    }
    at[path.at(-1) as string] = parsed;
  }
  return { attributes, own };
}

/** The fault's attributes through its kind's schema; a problem names the flag. */
function checkAttributes(kindName: string, attributes: Record<string, unknown>): void {
  const kind = FAULT_KINDS.get(kindName);
  if (!kind) {
    const known = [...FAULT_KINDS.keys()];
    const hint = suggest(kindName, known);
    failUsage(
      `inject: unknown fault kind ${kindName}${hint ? ` (did you mean ${hint}?)` : ""} (expected one of ${known.join(", ")})`,
    );
  }
  const r = kind.schema.safeParse(attributes);
  if (r.success) return;
  const problems = r.error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(kind.schema, issue.path);
      return issue.keys.map((k) => {
        const key = at ? `${at}.${k}` : k;
        const hint = suggest(k, known);
        return `--${key}: unknown attribute of ${kindName}${hint ? ` (did you mean --${at ? `${at}.` : ""}${hint}?)` : ` (expected one of ${known.map((x) => `--${x}`).join(", ")})`}`;
      });
    }
    return [`${at ? `--${at}` : kindName}: ${issue.message}`];
  });
  failUsage(`inject ${kindName}: ${problems.join("; ")}`);
}

/** A run-time error of the one fault, in flags: `inject disk-fill: fault.path: ...` -> `inject disk-fill: --path: ...`. */
function asFlags(message: string, where: string): string {
  return message.startsWith(`${where}: `)
    ? message.replace(/^([^:]+: )fault\.([\w.-]+):/, "$1--$2:")
    : message;
}

/**
 * `withstand inject KIND --attr value ... [--duration 30s]`: one fault without an experiment, for
 * game days and quick trials. It is a run like any other (stored, shown live, reverted on Ctrl-C,
 * SIGTERM, `halt`, --deadline and crash); exit codes as `run`.
 */
export async function injectCommand(kindName: string, tokens: readonly string[]): Promise<number> {
  const { attributes, own } = parseFlags(tokens);
  const durationText = typeof own.duration === "string" ? own.duration : undefined;
  const durationMs = durationText === undefined ? undefined : parseDuration(durationText);
  if (own.duration !== undefined && (durationMs === undefined || durationMs <= 0))
    failUsage(`--duration ${String(own.duration)}: expected a duration such as 30s, 5m`);
  const deadlineMs = typeof own.deadline === "string" ? parseDuration(own.deadline) : undefined;
  if (own.deadline !== undefined && (deadlineMs === undefined || deadlineMs <= 0))
    failUsage(`--deadline ${String(own.deadline)}: expected a duration such as 30s, 5m`);
  const kind = FAULT_KINDS.get(kindName);
  const timed = kind !== undefined && knownKeysAt(kind.schema, []).includes("duration");
  const fault = {
    ...attributes,
    ...(timed && durationMs !== undefined ? { duration: `${durationMs}ms` } : {}),
  };
  checkAttributes(kindName, fault);
  const hold = durationMs ?? HOLD_MS;
  const document = {
    apiVersion: "withstand/v1",
    kind: "Experiment",
    metadata: { name: `inject-${kindName}` },
    spec: {
      title: `inject ${kindName}${durationText ? ` for ${durationText}` : ""}`,
      method: [
        {
          type: "action",
          name: `inject ${kindName}`,
          fault: { kind: kindName, ...fault },
          pauses: { after: `${hold}ms` },
        },
      ],
    },
  };
  const parsed = parseSource("inject", JSON.stringify(document, null, 2));
  const doc = parsed.docs[0];
  const read = doc ? readExperiment(doc) : { diagnostics: parsed.diagnostics };
  if (!read.spec || hasErrors(read.diagnostics)) {
    for (const d of read.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return EXIT.invalid;
  }
  // The document is made up here: its positions mean nothing to the user, who typed flags. A fault
  // names the attribute it refuses as fault.NAME, which is the flag --NAME.
  const where = `inject ${kindName}`;
  for (const activity of read.spec.method) activity.loc = where;
  const mode = outputMode({ json: own.json === true, quiet: own.quiet === true });
  if (durationMs === undefined && own["dry-run"] !== true && mode !== "json")
    process.stderr.write("holding the fault until Ctrl-C, `withstand halt` or --deadline\n");
  const result = await runSession(read.spec, {
    mode,
    store: typeof own.store === "string" ? own.store : undefined,
    journalPath: undefined,
    deadlineMs,
    dryRun: own["dry-run"] === true,
    allowRemote: false,
    overrides: { configuration: {}, secrets: {} },
    hypothesisStrategy: undefined,
    hypothesisFrequencyMs: undefined,
    failFast: undefined,
    rollbackStrategy: undefined,
    inject: true,
  });
  if (result.usageError)
    process.stderr.write(
      `${formatError(result.usageCode ?? "WS_CONFIG", asFlags(result.usageError, where))}\n`,
    );
  return result.exitCode;
}
