import { type DurationRange, readDurationValue } from "./duration.js";
import { suggest } from "./suggest.js";

/**
 * Reading a document's values into the model, collecting problems instead of throwing: the sink
 * (`Reporter`) and the field readers every document kind and every kind module (faults, probes) use.
 * Pure: positions are added by the documents layer that owns the source.
 */
export type Path = readonly (string | number)[];

/** Collects diagnostics for a sub-tree of a document; paths are relative to that sub-tree. */
export interface Reporter {
  /** `onKey`: point at the key rather than its value (an unknown key). */
  error(path: Path, message: string, onKey?: boolean): void;
  warn(path: Path, message: string, onKey?: boolean): void;
  /** At validation time `${...}` placeholders are allowed anywhere; at run time they must be resolved. */
  readonly deferVars: boolean;
  /**
   * Native documents (apiVersion: withstand/v1): an unknown key is an error, never a silently ignored
   * typo. Chaos Toolkit files keep Chaos Toolkit's behaviour (ignored, with a warning).
   */
  readonly strict?: boolean;
}

export function scoped(parent: Reporter, prefix: Path): Reporter {
  return {
    deferVars: parent.deferVars,
    ...(parent.strict ? { strict: true } : {}),
    error: (path, message, onKey) => parent.error([...prefix, ...path], message, onKey),
    warn: (path, message, onKey) => parent.warn([...prefix, ...path], message, onKey),
  };
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const hasVar = (v: unknown): boolean => typeof v === "string" && /\$\{[^}]+\}/.test(v);

/** Warns about each key not in `known`, with a suggestion when one is close. */
export function checkKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  path: Path,
  r: Reporter,
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = suggest(key, known);
    const what = hint ? `did you mean ${hint}?` : `expected one of ${known.join(", ")}`;
    if (r.strict) r.error([...path, key], `unknown key (${what})`, true);
    else r.warn([...path, key], `unknown key, ignored (${what})`, true);
  }
}

/** Field readers that accept `${var}` placeholders at validation time and insist on real values at run time. */
export function readNumber(v: unknown, path: Path, r: Reporter, what = "a number"): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  if (hasVar(v) && r.deferVars) return undefined;
  r.error(
    path,
    v === undefined ? `is required (expected ${what})` : `got ${JSON.stringify(v)} (expected ${what})`,
  );
  return undefined;
}

export function readString(v: unknown, path: Path, r: Reporter, what = "a string"): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number") return String(v);
  r.error(
    path,
    v === undefined ? `is required (expected ${what})` : `got ${JSON.stringify(v)} (expected ${what})`,
  );
  return undefined;
}

export function readBool(v: unknown, path: Path, r: Reporter): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  if (hasVar(v) && r.deferVars) return undefined;
  r.error(path, `got ${JSON.stringify(v)} (expected true or false)`);
  return undefined;
}

/** A whole number >= min (a count, a limit); `fallback` when absent or wrong (the error is reported). */
export function readCount(v: unknown, path: Path, r: Reporter, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = readNumber(v, path, r, "a whole number");
  if (n === undefined) return fallback;
  if (!Number.isInteger(n) || n < min) {
    r.error(path, `got ${n} (expected a whole number >= ${min})`);
    return fallback;
  }
  return n;
}

/** A duration (core/duration: seconds or "250ms", "10s", "5m", at most 24 days). Returns milliseconds. */
export function readDuration(
  v: unknown,
  path: Path,
  r: Reporter,
  range: DurationRange = {},
): number | undefined {
  const read = readDurationValue(v, range);
  if (read.ok) return read.ms;
  if (hasVar(v) && r.deferVars) return undefined;
  r.error(path, read.message);
  return undefined;
}
