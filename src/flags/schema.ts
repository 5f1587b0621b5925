import { FeatureFlag } from "@openfeature/flagd-core";
import { z } from "zod";
import { unknownKeyMessage } from "../core/suggest.js";

/**
 * flagd's flag-definition files (https://flagd.dev/schema/v0/flags.json), read unchanged: `flags`,
 * shared `$evaluators`, `metadata`. The checks here work on the parsed value and report each problem
 * at its path; the documents layer turns paths into file:line:col. Evaluation is flagd-core's own:
 * a targeting rule is valid when flagd-core compiles it.
 */

export type Path = (string | number)[];

export interface FlagIssue {
  path: Path;
  message: string;
  severity: "error" | "warning";
  /** Whether the position is the key at `path` (an unknown key) rather than its value. */
  onKey?: boolean;
  /**
   * A problem confined to one flag's targeting (or a shared evaluator): flagd still loads the file and
   * answers that flag's evaluations with an error (PARSE_ERROR) or its default, as flagd-core does.
   */
  flagLevel?: boolean;
}

/** Whether an issue at this path is confined to targeting rules (see FlagIssue.flagLevel). */
const inRules = (path: Path) => path[0] === "$evaluators" || (path[0] === "flags" && path[2] === "targeting");

/** One flag as flagd reads it. */
export interface FlagDefinition {
  state: "ENABLED" | "DISABLED";
  variants: Record<string, unknown>;
  defaultVariant?: string | null;
  targeting?: Record<string, unknown>;
  metadata?: Record<string, string | number | boolean>;
}

/** A file's flags with every `$ref` replaced by its evaluator, and the file's metadata. */
export interface FlagFile {
  flags: Record<string, FlagDefinition>;
  metadata: Record<string, string | number | boolean>;
}

const TOP_KEYS = ["$schema", "flags", "$evaluators", "metadata"];
const FLAG_KEYS = ["state", "variants", "defaultVariant", "targeting", "metadata"];

const primitive = z.union([z.string(), z.number(), z.boolean()]);
export const FLAG_METADATA = z.record(z.string(), primitive);

/** One flag as flagd's schema has it: other keys are allowed (flagd warns about them and serves the flag). */
const FLAG_SCHEMA = z.looseObject({
  state: z.enum(["ENABLED", "DISABLED"]),
  variants: z.record(z.string(), z.unknown()),
  defaultVariant: z.union([z.string(), z.null()]).optional(),
  targeting: z.record(z.string(), z.unknown()).optional(),
  metadata: FLAG_METADATA.optional(),
});

/**
 * The JSON Schema shape of a flag file (for `withstand schema flagd`): `flags` as a mapping of keys
 * to flags, or flagd's array form, a list of flags each with its `key`.
 */
export const FLAG_FILE_SCHEMA = z.looseObject({
  $schema: z.string().optional(),
  flags: z.union([
    z.record(z.string(), FLAG_SCHEMA),
    z.array(FLAG_SCHEMA.extend({ key: z.string().min(1) })),
  ]),
  $evaluators: z.record(z.string(), z.unknown()).optional(),
  metadata: FLAG_METADATA.optional(),
});

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Whether a parsed document is meant as a flagd flag file: it names flagd's schema, or its `flags` is a
 * mapping or list of mappings (and it is not a Chaos Toolkit experiment or a Kubernetes-style manifest).
 * A flag missing `state` or `variants` is still a flag file, whose problems are reported at their paths.
 */
export function isFlagFile(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (typeof v.$schema === "string" && /flagd\.dev\/schema|flagd/i.test(v.$schema)) return true;
  if (!("flags" in v) || "apiVersion" in v || "method" in v || "steady-state-hypothesis" in v) return false;
  const flags = Array.isArray(v.flags) ? v.flags : isObject(v.flags) ? Object.values(v.flags) : undefined;
  return flags?.every(isObject) ?? false;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v === "object" ? "object" : typeof v;
}

/** Replaces `{"$ref": name}` by the evaluator (flagd-core does this by text; one level, as flagd). */
function expand(node: unknown, evaluators: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => expand(n, evaluators));
  if (!isObject(node)) return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "$ref" && typeof node.$ref === "string" && node.$ref in evaluators)
    return evaluators[node.$ref];
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, expand(v, evaluators)]));
}

const silent = { error() {}, warn() {}, info() {}, debug() {} };

/** Whether flagd-core compiles this JsonLogic rule (it reports a rule it cannot build as PARSE_ERROR). */
function compiles(rule: Record<string, unknown>): boolean {
  let failed = false;
  const logger = { ...silent, warn: () => (failed = true) };
  try {
    new FeatureFlag(
      "x",
      { state: "ENABLED", defaultVariant: "a", variants: { a: true }, targeting: rule as never },
      logger,
    );
  } catch {
    return false;
  }
  return !failed;
}

/** The deepest rule under `path` that does not compile (its parts all do), to point at the culprit. */
function culprit(raw: unknown, evaluators: Record<string, unknown>, path: Path): Path | undefined {
  if (Array.isArray(raw)) {
    for (const [i, item] of raw.entries()) {
      const inner = culprit(item, evaluators, [...path, i]);
      if (inner) return inner;
    }
    return undefined;
  }
  if (!isObject(raw)) return undefined;
  for (const [k, v] of Object.entries(raw)) {
    const inner = culprit(v, evaluators, [...path, k]);
    if (inner) return inner;
  }
  const keys = Object.keys(raw);
  if (keys.length === 1 && keys[0] === "$ref") return undefined;
  return compiles(expand(raw, evaluators) as Record<string, unknown>) ? undefined : path;
}

/** Checks every `fractional` and `$ref` in a rule; `variants` (a flag's) also checks bucket names. */
function checkRule(
  node: unknown,
  path: Path,
  evaluators: Record<string, unknown>,
  variants: Record<string, unknown> | undefined,
  out: FlagIssue[],
): void {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) checkRule(n, [...path, i], evaluators, variants, out);
    return;
  }
  if (!isObject(node)) return;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "$ref") {
    if (typeof node.$ref !== "string" || !(node.$ref in evaluators))
      out.push({
        path: [...path, "$ref"],
        severity: "error",
        message: `no evaluator ${JSON.stringify(node.$ref)} (expected one of $evaluators: ${Object.keys(evaluators).join(", ") || "none defined"})`,
      });
    return;
  }
  if (keys.length === 1 && keys[0] === "fractional")
    checkFractional(node.fractional, [...path, "fractional"], variants, out);
  for (const [k, v] of Object.entries(node)) checkRule(v, [...path, k], evaluators, variants, out);
}

function checkFractional(
  args: unknown,
  path: Path,
  variants: Record<string, unknown> | undefined,
  out: FlagIssue[],
): void {
  if (!Array.isArray(args)) {
    out.push({
      path,
      severity: "error",
      message: `got ${typeOf(args)} (expected a list of buckets ["variant", weight])`,
    });
    return;
  }
  let total = 0;
  args.forEach((bucket, i) => {
    // The first argument may be the expression to bucket by.
    if (i === 0 && !Array.isArray(bucket)) return;
    const at = [...path, i];
    if (!Array.isArray(bucket) || bucket.length === 0 || bucket.length > 2) {
      out.push({
        path: at,
        severity: "error",
        message: 'expected a bucket ["variant", weight] (weight is optional, 1 by default)',
      });
      return;
    }
    const [name, weight] = bucket;
    // A weight may be a JsonLogic expression (flagd evaluates it first); a literal must be a whole number.
    if (bucket.length === 2 && isObject(weight)) total += 0;
    else if (bucket.length === 2 && (typeof weight !== "number" || !Number.isInteger(weight)))
      out.push({
        path: [...at, 1],
        severity: "error",
        message: `weight: got ${JSON.stringify(weight)} (expected a whole number or a JsonLogic rule giving one; flagd-core ignores the whole fractional otherwise)`,
      });
    else if (bucket.length === 2) total += Math.max(0, weight as number);
    else total += 1;
    if (variants && typeof name === "string" && !(name in variants))
      out.push({
        path: [...at, 0],
        severity: "warning",
        message: `variant ${JSON.stringify(name)} is not one of this flag's variants (${Object.keys(variants).join(", ")}): users in this bucket get an error`,
      });
  });
  if (total > 2_147_483_647)
    out.push({
      path,
      severity: "error",
      message: `the weights add up to ${total} (expected at most 2147483647)`,
    });
}

function checkMetadata(v: unknown, path: Path, out: FlagIssue[]): void {
  if (v === undefined) return;
  if (!isObject(v)) {
    out.push({
      path,
      severity: "error",
      message: `got ${typeOf(v)} (expected a mapping of strings, numbers or booleans)`,
    });
    return;
  }
  for (const [k, x] of Object.entries(v))
    if (!["string", "number", "boolean"].includes(typeof x))
      out.push({
        path: [...path, k],
        severity: "error",
        message: `got ${typeOf(x)} (expected a string, number or boolean)`,
      });
}

/** Checks one flag at `at` (["flags", key], or ["flags", i] in the array form, where `key` is allowed). */
function checkFlag(
  key: string,
  f: unknown,
  at: Path,
  evaluators: Record<string, unknown>,
  out: FlagIssue[],
): void {
  const known = typeof at[1] === "number" ? ["key", ...FLAG_KEYS] : FLAG_KEYS;
  if (!isObject(f)) {
    out.push({
      path: at,
      severity: "error",
      message: `got ${typeOf(f)} (expected a flag: state, variants, defaultVariant, targeting)`,
    });
    return;
  }
  // flagd's schema validation is not strict: it warns about a key it does not know and serves the flag.
  for (const k of Object.keys(f))
    if (!known.includes(k))
      out.push({
        path: [...at, k],
        severity: "warning",
        onKey: true,
        message: `${unknownKeyMessage(k, known)}; flagd ignores it`,
      });
  if (f.state !== "ENABLED" && f.state !== "DISABLED")
    out.push({
      path: [...at, "state"],
      severity: "error",
      message:
        f.state === undefined
          ? "is required (expected ENABLED or DISABLED)"
          : `got ${JSON.stringify(f.state)} (expected ENABLED or DISABLED)`,
    });
  const variants = isObject(f.variants) ? f.variants : undefined;
  if (!variants || Object.keys(variants).length === 0)
    out.push({
      path: [...at, "variants"],
      severity: "error",
      message:
        f.variants === undefined
          ? "is required (expected a mapping of variant names to values)"
          : "expected a mapping with at least one variant",
    });
  else {
    const types = new Set(Object.values(variants).map(typeOf));
    const bad = Object.entries(variants).find(([, v]) => v === null || Array.isArray(v));
    if (bad)
      out.push({
        path: [...at, "variants", bad[0]],
        severity: "error",
        message: `got ${typeOf(bad[1])} (expected a boolean, string, number or object)`,
      });
    else if (types.size > 1)
      // flagd's schema wants one type, but flagd only warns and serves the flag (OFREP gives each
      // variant's value as it is; a typed evaluation of a variant of another type is a TYPE_MISMATCH).
      out.push({
        path: [...at, "variants"],
        severity: "warning",
        message: `variants mix types (${[...types].join(", ")}); expected one type for all (flagd serves the flag, but a typed evaluation of a variant of another type fails with TYPE_MISMATCH)`,
      });
  }
  const dv = f.defaultVariant;
  if (dv !== undefined && dv !== null && typeof dv !== "string")
    out.push({
      path: [...at, "defaultVariant"],
      severity: "error",
      message: `got ${typeOf(dv)} (expected a variant name or null)`,
    });
  else if (typeof dv === "string" && variants && !(dv in variants))
    out.push({
      path: [...at, "defaultVariant"],
      severity: "error",
      message: `unknown variant ${JSON.stringify(dv)} (expected one of ${Object.keys(variants).join(", ")})`,
    });
  checkMetadata(f.metadata, [...at, "metadata"], out);
  const t = f.targeting;
  if (t === undefined || (isObject(t) && Object.keys(t).length === 0)) return;
  if (!isObject(t)) {
    out.push({
      path: [...at, "targeting"],
      severity: "error",
      message: `got ${typeOf(t)} (expected a JsonLogic rule, a mapping)`,
    });
    return;
  }
  const before = out.length;
  checkRule(t, [...at, "targeting"], evaluators, variants, out);
  if (out.slice(before).some((i) => i.severity === "error")) return;
  if (!compiles(expand(t, evaluators) as Record<string, unknown>)) {
    const where = culprit(t, evaluators, [...at, "targeting"]) ?? [...at, "targeting"];
    const node = where
      .slice(at.length)
      .reduce<unknown>((v, p) => (v as Record<string | number, unknown> | undefined)?.[p], f);
    const op = isObject(node) ? Object.keys(node)[0] : undefined;
    out.push({
      path: where,
      severity: "error",
      message: `invalid JsonLogic${op ? ` (unknown operator or bad arguments of ${JSON.stringify(op)})` : ""}: flagd-core cannot compile it, so every evaluation of ${JSON.stringify(key)} would be a PARSE_ERROR`,
    });
  }
}

/** Every problem in a parsed flag file, by path; `file` is undefined when an error makes it unusable. */
export function checkFlagFile(value: unknown): { issues: FlagIssue[]; file?: FlagFile } {
  const out: FlagIssue[] = [];
  if (!isObject(value))
    return {
      issues: [{ path: [], severity: "error", message: "expected a flagd flag file: a mapping with flags" }],
    };
  for (const k of Object.keys(value))
    if (!TOP_KEYS.includes(k))
      out.push({ path: [k], severity: "warning", onKey: true, message: unknownKeyMessage(k, TOP_KEYS) });
  const evaluators = value.$evaluators === undefined ? {} : value.$evaluators;
  if (!isObject(evaluators))
    out.push({
      path: ["$evaluators"],
      severity: "error",
      message: `got ${typeOf(evaluators)} (expected a mapping of names to JsonLogic rules)`,
    });
  const evs = isObject(evaluators) ? evaluators : {};
  for (const [name, rule] of Object.entries(evs)) checkRule(rule, ["$evaluators", name], evs, undefined, out);
  checkMetadata(value.metadata, ["metadata"], out);
  const entries = flagEntries(value.flags, out);
  for (const { key, flag, at } of entries) checkFlag(key, flag, at, evs, out);
  for (const i of out) if (inRules(i.path)) i.flagLevel = true;
  if (out.some((i) => i.severity === "error" && !i.flagLevel)) return { issues: out };
  const flags: Record<string, FlagDefinition> = {};
  for (const { key, flag } of entries) flags[key] = definitionOf(flag as Record<string, unknown>, evs);
  return { issues: out, file: { flags, metadata: (value.metadata ?? {}) as FlagFile["metadata"] } };
}

/**
 * The flags of a file with their keys and paths: flagd's mapping form (`flags: {key: flag}`) or its
 * array form (`flags: [{key, ...flag}]`, flagd #1797), where a key given twice is the later flag's.
 */
function flagEntries(flags: unknown, out: FlagIssue[]): { key: string; flag: unknown; at: Path }[] {
  const expected = "expected a mapping of flag keys to flags, or a list of flags each with its key";
  if (isObject(flags)) return Object.entries(flags).map(([key, flag]) => ({ key, flag, at: ["flags", key] }));
  if (!Array.isArray(flags)) {
    out.push({
      path: ["flags"],
      severity: "error",
      message: flags === undefined ? `is required (${expected})` : `got ${typeOf(flags)} (${expected})`,
    });
    return [];
  }
  const entries: { key: string; flag: unknown; at: Path }[] = [];
  const seen = new Map<string, number>();
  flags.forEach((flag, i) => {
    const at: Path = ["flags", i];
    const key = isObject(flag) ? flag.key : undefined;
    if (isObject(flag) && (typeof key !== "string" || key === "")) {
      out.push({
        path: key === undefined ? at : [...at, "key"],
        severity: "error",
        message:
          key === undefined
            ? "key: is required (expected the flag's key, a non-empty string)"
            : `key: got ${JSON.stringify(key)} (expected the flag's key, a non-empty string)`,
      });
      return;
    }
    const name = typeof key === "string" ? key : String(i);
    const before = seen.get(name);
    if (before !== undefined)
      out.push({
        path: [...at, "key"],
        severity: "warning",
        message: `flag ${JSON.stringify(name)} is also defined at flags[${before}]; this later one is served (as flagd does)`,
      });
    seen.set(name, i);
    entries.push({ key: name, flag, at });
  });
  return entries;
}

/** A checked flag as it is evaluated: its known keys only, every `$ref` in its targeting expanded. */
function definitionOf(f: Record<string, unknown>, evs: Record<string, unknown>): FlagDefinition {
  const def: Record<string, unknown> = {};
  for (const k of FLAG_KEYS) if (f[k] !== undefined) def[k] = f[k];
  if (def.targeting !== undefined) def.targeting = expand(def.targeting, evs);
  return def as unknown as FlagDefinition;
}
