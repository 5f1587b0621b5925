import { createHash } from "node:crypto";
import type { EvaluationContext, JsonValue } from "@openfeature/core";
import { FlagdCore } from "@openfeature/flagd-core";
import type { FlagDefinition, FlagFile } from "./schema.js";

/**
 * The flags a server holds: the definitions read from its files, with the changes made through its
 * API on top (state, default variant, fractional weights), evaluated by flagd-core. A reload replaces
 * the definitions and keeps the API's changes.
 */

/** What the API can change on a flag; the rest of a flag is its file's. */
export interface FlagOverride {
  state?: "ENABLED" | "DISABLED";
  defaultVariant?: string;
  /** Weight by variant name, applied to every `fractional` bucket of that variant in the targeting. */
  weights?: Record<string, number>;
}

/** A flag's switchable part, as the audit log records it before and after a change. */
export interface FlagSnapshot {
  state: "ENABLED" | "DISABLED";
  defaultVariant: string | null;
  weights?: Record<string, number>;
}

/** A flag as flagd-core resolved it: no result when the flag is disabled. */
export interface Resolution {
  metadata: Record<string, string | number | boolean>;
  defaultValue: unknown;
  result?: {
    value: JsonValue | undefined;
    variant: string | undefined;
    reason: string;
    errorCode: string | undefined;
  };
}

/** One OFREP evaluation result: the body and the HTTP status it is sent with. */
export interface Evaluation {
  status: 200 | 400 | 404;
  body: Record<string, unknown>;
}

const silent = { error() {}, warn() {}, info() {}, debug() {} };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Calls `fn` on every `fractional` bucket list in a rule (the first argument may be the bucket key). */
function eachFractional(rule: unknown, fn: (buckets: unknown[]) => void): void {
  if (Array.isArray(rule)) {
    for (const r of rule) eachFractional(r, fn);
    return;
  }
  if (!isObject(rule)) return;
  for (const [k, v] of Object.entries(rule)) {
    if (k === "fractional" && Array.isArray(v)) fn(v);
    eachFractional(v, fn);
  }
}

/** The weights of a flag's first `fractional` (what a rollout changes), if it has one. */
export function weightsOf(def: FlagDefinition): Record<string, number> | undefined {
  let found: Record<string, number> | undefined;
  eachFractional(def.targeting, (buckets) => {
    if (found) return;
    found = {};
    for (const b of buckets)
      if (Array.isArray(b) && typeof b[0] === "string") found[b[0]] = typeof b[1] === "number" ? b[1] : 1;
  });
  return found;
}

function withWeights(rule: unknown, weights: Record<string, number>): unknown {
  if (Array.isArray(rule)) return rule.map((r) => withWeights(r, weights));
  if (!isObject(rule)) return rule;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rule)) {
    if (k === "fractional" && Array.isArray(v))
      out[k] = v.map((b) =>
        Array.isArray(b) && typeof b[0] === "string" && b[0] in weights
          ? [b[0], weights[b[0]]]
          : withWeights(b, weights),
      );
    else out[k] = withWeights(v, weights);
  }
  return out;
}

/** A definition with an override applied. */
export function applyOverride(def: FlagDefinition, o: FlagOverride | undefined): FlagDefinition {
  if (!o) return def;
  const out: FlagDefinition = { ...def };
  if (o.state) out.state = o.state;
  if (o.defaultVariant !== undefined) out.defaultVariant = o.defaultVariant;
  if (o.weights && def.targeting)
    out.targeting = withWeights(def.targeting, o.weights) as Record<string, unknown>;
  return out;
}

export function snapshot(def: FlagDefinition): FlagSnapshot {
  const weights = weightsOf(def);
  return { state: def.state, defaultVariant: def.defaultVariant ?? null, ...(weights ? { weights } : {}) };
}

export class FlagSet {
  private readonly core = new FlagdCore(undefined, silent);
  private definitions = new Map<string, FlagDefinition>();
  private metadata: Record<string, string | number | boolean> = {};
  /** Where each flag came from (the last file that defines it wins, as in flagd). */
  private readonly origin = new Map<string, string>();
  readonly overrides = new Map<string, FlagOverride>();
  /** Bumped on every change, so caches and ETags follow. */
  revision = 0;

  /**
   * Replaces the definitions with these files' (later files win for a key defined twice). Each flag's
   * metadata is its own file's metadata with the flag's own on top (flagd's inheritance), never another
   * file's: flagd keeps each source's flag set apart.
   */
  load(files: { file: string; flags: FlagFile }[]): void {
    const defs = new Map<string, FlagDefinition>();
    this.origin.clear();
    for (const { file, flags } of files)
      for (const [key, def] of Object.entries(flags.flags)) {
        defs.set(key, { ...def, metadata: { ...flags.metadata, ...def.metadata } });
        this.origin.set(key, file);
      }
    this.definitions = defs;
    this.metadata = sharedMetadata(files.map((f) => f.flags.metadata));
    this.rebuild();
  }

  private rebuild(): void {
    const flags: Record<string, FlagDefinition> = {};
    for (const [key, def] of this.definitions) flags[key] = applyOverride(def, this.overrides.get(key));
    // No flag-set metadata here: flagd-core would merge it into every flag, and each flag already has its own file's.
    this.core.setConfigurations(JSON.stringify({ flags }));
    this.revision++;
  }

  has(key: string): boolean {
    return this.definitions.has(key);
  }

  keys(): string[] {
    return [...this.definitions.keys()];
  }

  /** The file's definition of a flag, without the API's changes. */
  definition(key: string): FlagDefinition | undefined {
    return this.definitions.get(key);
  }

  /** The definition in force: the file's with the API's changes. */
  effective(key: string): FlagDefinition | undefined {
    const def = this.definitions.get(key);
    return def && applyOverride(def, this.overrides.get(key));
  }

  fileOf(key: string): string | undefined {
    return this.origin.get(key);
  }

  /** Replaces a flag's override (undefined removes it) and rebuilds the evaluator. */
  setOverride(key: string, o: FlagOverride | undefined): void {
    if (o === undefined || Object.keys(o).length === 0) this.overrides.delete(key);
    else this.overrides.set(key, o);
    this.rebuild();
  }

  /** One flag, evaluated as flagd's OFREP service does: DISABLED and DEFAULT without a value defer to the code default. */
  evaluate(key: string, context: EvaluationContext): Evaluation {
    const flag = this.core.getFlag(key);
    if (!flag)
      return {
        status: 404,
        body: { key, errorCode: "FLAG_NOT_FOUND", errorDetails: `flag ${JSON.stringify(key)} was not found` },
      };
    const metadata = flag.metadata;
    if (flag.state === "DISABLED") return { status: 200, body: { key, reason: "DISABLED", metadata } };
    const r = flag.evaluate(context, silent);
    if (r.reason === "ERROR")
      return { status: 400, body: { key, errorCode: r.errorCode, errorDetails: r.errorMessage, metadata } };
    if (r.value === undefined) return { status: 200, body: { key, reason: r.reason, metadata } };
    return {
      status: 200,
      body: { key, value: r.value as JsonValue, reason: r.reason, variant: r.variant, metadata },
    };
  }

  /**
   * One flag as flagd-core resolves it, for flagd's own evaluation API: undefined when there is no such
   * flag, no result when it is disabled.
   */
  resolve(key: string, context: EvaluationContext): Resolution | undefined {
    const flag = this.core.getFlag(key);
    if (!flag) return undefined;
    const metadata = flag.metadata as Record<string, string | number | boolean>;
    if (flag.state === "DISABLED") return { metadata, defaultValue: this.defaultValueOf(key) };
    const r = flag.evaluate(context, silent);
    return {
      metadata,
      defaultValue: this.defaultValueOf(key),
      result: {
        value: r.value as JsonValue | undefined,
        variant: r.variant,
        reason: r.reason,
        errorCode: r.reason === "ERROR" ? String(r.errorCode) : undefined,
      },
    };
  }

  /** The value of a flag's default variant in force (its type is the flag's type in a bulk resolve). */
  private defaultValueOf(key: string): unknown {
    const def = this.effective(key);
    const dv = def?.defaultVariant;
    return typeof dv === "string" ? def?.variants[dv] : undefined;
  }

  /** Every flag, for the bulk endpoint (disabled flags too, with reason DISABLED, as flagd now does). */
  evaluateAll(context: EvaluationContext): Record<string, unknown>[] {
    return [...this.definitions.keys()].map((key) => this.evaluate(key, context).body);
  }

  flagSetMetadata(): Record<string, string | number | boolean> {
    return this.metadata;
  }
}

/**
 * The metadata of the served flag sets as a whole (the bulk response's `metadata`): a file's when there
 * is one, otherwise only the entries every file has with the same value.
 */
export function sharedMetadata(
  sets: readonly Record<string, string | number | boolean>[],
): Record<string, string | number | boolean> {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

/** A strong ETag for a body: the same flags and context give the same tag. */
export function etagOf(body: string): string {
  return `"${createHash("sha1").update(body).digest("base64url")}"`;
}
