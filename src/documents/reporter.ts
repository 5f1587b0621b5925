import type { z } from "zod";
import { checkKeys, hasVar, isRecord, type Reporter, scoped } from "../core/reader.js";
import { unknownKeyMessage } from "../core/suggest.js";

export { checkKeys, hasVar, isRecord, type Reporter, scoped };

import { foreignManifest } from "./detect.js";
import type { Diagnostic } from "./diagnostic.js";
import { diagnosticAt, type Path, type SourceDoc } from "./source.js";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string")
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** The keys an object schema knows at `path` (through optional, default, pipe and union wrappers). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
      return knownKeysAt(def.innerType as z.ZodType, path);
    case "pipe":
      return knownKeysAt(def.in as z.ZodType, path);
    case "union":
      return (def.options as z.ZodType[]).flatMap((o) => knownKeysAt(o, path));
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      if (path.length === 0) return Object.keys(shape);
      const next = shape[String(path[0])];
      return next ? knownKeysAt(next, path.slice(1)) : [];
    }
    case "record":
      return path.length === 0 ? [] : knownKeysAt(def.valueType as z.ZodType, path.slice(1));
    case "array":
      return path.length === 0 ? [] : knownKeysAt(def.element as z.ZodType, path.slice(1));
    default:
      return [];
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let actual: unknown = value;
  for (const p of path)
    actual =
      isRecord(actual) || Array.isArray(actual)
        ? (actual as Record<string, unknown>)[p as string]
        : undefined;
  return actual;
}

/** A copy of `value` without the keys zod found unrecognised. */
function withoutUnknownKeys(value: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(value);
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const target = valueAt(copy, issue.path);
    if (isRecord(target)) for (const key of issue.keys) delete target[key];
  }
  return copy;
}

/** Whether a union branch's issue leaves the mapping's shape fitting the branch: no unknown key, no missing one. */
function fits(e: z.core.$ZodIssue, value: Record<string, unknown>): boolean {
  if (e.path.length === 0) return false;
  if (e.path.length === 1 && e.code === "invalid_type" && value[e.path[0] as string] === undefined)
    return false;
  return true;
}

/**
 * The keys that make a mapping fit no branch of a union because it mixes branches: every branch's only
 * top-level problem is an unknown key, and each such key is another branch's (in document order).
 */
function mixedKeys(branches: readonly z.core.$ZodIssue[][], value: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const b of branches) {
    const top = b.filter((e) => e.path.length === 0 || (e.path.length === 1 && e.code === "invalid_type"));
    if (top.length === 0 || !top.every((e) => e.code === "unrecognized_keys" && e.path.length === 0))
      return [];
    for (const e of top) if (e.code === "unrecognized_keys") keys.push(...e.keys);
  }
  return Object.keys(value).filter((k) => keys.includes(k));
}

/**
 * Runs a zod schema and turns each issue into a diagnostic at its path: unknown keys are errors with
 * a did-you-mean, and at validation time a `${var}` placeholder stands for any value.
 */
export function check<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: Path,
  r: Reporter,
  opts: { ctkKeys?: boolean } = {},
): z.infer<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Chaos Toolkit's mappings (opts.ctkKeys, in a file that is not native): an unknown key is ignored,
  // as Chaos Toolkit ignores it, with a warning; the value is read again without it.
  const ignoreUnknown = opts.ctkKeys === true && !r.strict;
  let reported = 0;
  let ignored = 0;
  const report = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): void => {
    for (const raw of issues) {
      const issue = { ...raw, path: [...prefix, ...raw.path] } as z.core.$ZodIssue;
      const at = [...path, ...(issue.path as (string | number)[])];
      const actual = valueAt(value, issue.path);
      if (r.deferVars && hasVar(actual)) continue;
      if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(schema, issue.path);
        for (const key of issue.keys) {
          const message = unknownKeyMessage(key, known);
          if (ignoreUnknown)
            r.warn([...at, key], message.replace("unknown key", "unknown key, ignored"), true);
          else r.error([...at, key], message, true);
        }
        if (ignoreUnknown) ignored++;
        else reported++;
        continue;
      }
      reported++;
      let message = issue.message;
      if (issue.code === "invalid_type") {
        message =
          actual === undefined
            ? `is required (expected ${issue.expected})`
            : `got ${describe(actual)} (expected ${issue.expected})`;
      } else if (issue.code === "invalid_value") {
        const options = (issue as { values?: unknown[] }).values ?? [];
        const expected = options.map((o) => JSON.stringify(o)).join(" or ");
        message =
          actual === undefined
            ? `is required (expected ${expected})`
            : `got ${describe(actual)} (expected ${expected})`;
      } else if (issue.code === "invalid_union") {
        const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
        // The one branch the mapping's keys fit (all its required keys, none unknown): its own problems,
        // at their own keys (a misspelt value deep inside), not "unexpected shape" at the whole mapping.
        const fitting = isRecord(actual) ? branches.filter((b) => b.every((e) => fits(e, actual))) : [];
        const only = fitting.length === 1 ? fitting[0] : undefined;
        if (only) {
          report(only, issue.path);
          continue;
        }
        // Keys of two branches in one mapping (file and experiment): each branch finds the other's key unknown.
        const mixed = isRecord(actual) ? mixedKeys(branches, actual) : [];
        if (mixed.length > 1) {
          reported++;
          r.error(
            [...at, mixed.at(-1) as string],
            `expected exactly one of ${mixed.join(", ")} (got ${mixed.join(", ")})`,
            true,
          );
          continue;
        }
        // A branch's own message (a custom check) says what was expected; zod's says only "Invalid input".
        const custom = branches.flat().find((e) => e.code === "custom" && e.message);
        const zodSays = issue.message.replace(/^Invalid input:?\s*/i, "").trim();
        message =
          custom?.message ??
          `got ${describe(actual)} (${zodSays ? `expected ${zodSays}` : "unexpected shape"})`;
      } else if (issue.code === "invalid_format") {
        // A schema's own message says what was expected; zod's default names the pattern.
        const pattern = (issue as { pattern?: string }).pattern;
        message = /^Invalid/.test(issue.message)
          ? `got ${describe(actual)} (expected a string matching ${pattern ?? issue.format})`
          : `got ${describe(actual)} (${issue.message})`;
      } else if (issue.code === "too_small" || issue.code === "too_big") {
        message = `got ${describe(actual)} (expected ${issue.message.replace(/^Too (small|big): expected \w+ to (be|have) /i, "")})`;
      }
      r.error(at, message);
    }
  };
  report(result.error.issues, []);
  if (reported === 0 && ignored > 0) {
    const retry = schema.safeParse(withoutUnknownKeys(value, result.error.issues));
    if (retry.success) return retry.data;
  }
  // Every issue was a deferred ${var}: valid for now, checked again with real values at run time.
  return reported === 0 ? (value as z.infer<S>) : undefined;
}

/**
 * Starts reading a native document of `kind`: a reporter that turns problems into file:line:col
 * diagnostics, and the top-level mapping once apiVersion, kind and the top-level keys are checked.
 */
export function openNative(
  src: SourceDoc,
  kind: string,
): { r: Reporter; diagnostics: Diagnostic[]; top?: Record<string, unknown> } {
  const diagnostics: Diagnostic[] = [];
  const r: Reporter = {
    deferVars: false,
    strict: true,
    error: (path, message, onKey) => diagnostics.push(diagnosticAt(src, path, message, "error", onKey)),
    warn: (path, message, onKey) => diagnostics.push(diagnosticAt(src, path, message, "warning", onKey)),
  };
  const top = src.value;
  if (!isRecord(top) || top.apiVersion !== "withstand/v1" || top.kind !== kind) {
    // Another tool's manifest is named as such, with what to do.
    const foreign = isRecord(top) ? foreignManifest(top) : undefined;
    if (foreign) r.error([], foreign);
    else r.error(["kind"], `expected apiVersion: withstand/v1 and kind: ${kind}`);
    return { r, diagnostics };
  }
  checkKeys(top, ["apiVersion", "kind", "metadata", "spec"], [], r);
  return { r, diagnostics, top };
}
