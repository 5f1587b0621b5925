import { parseDuration } from "../core/duration.js";
import { hasVar, type Reporter } from "./reporter.js";
import type { Path } from "./source.js";

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

/** A duration: a number of seconds (CTK) or "250ms", "10s", "5m". Returns milliseconds. */
export function readDuration(v: unknown, path: Path, r: Reporter): number | undefined {
  const ms = parseDuration(v);
  if (ms !== undefined) return ms;
  if (hasVar(v) && r.deferVars) return undefined;
  r.error(path, `got ${JSON.stringify(v)} (expected seconds or a duration such as "500ms", "10s", "5m")`);
  return undefined;
}
