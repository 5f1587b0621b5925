import type { LoadPlan } from "../core/load-plan.js";
import { type Diagnostic, hasErrors } from "./diagnostic.js";
import { readLoadBody } from "./load-test.js";
import { isRecord, openNative, type Reporter } from "./reporter.js";
import { loadFirstDocument, positionOf, type SourceDoc } from "./source.js";

/** Reads a `kind: LoadTest` document into a plan, with file:line:col diagnostics. */
export function readLoadTest(src: SourceDoc): { plan?: LoadPlan; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "LoadTest");
  if (!top) return { diagnostics };
  const name = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "load";
  if (!isRecord(top.spec)) {
    r.error(["spec"], "is required (expected a mapping with requests, executor, rate, duration, thresholds)");
    return { diagnostics };
  }
  const scopedR: Reporter = {
    ...r,
    error: (p, m, k) => r.error(["spec", ...p], m, k),
    warn: (p, m, k) => r.warn(["spec", ...p], m, k),
  };
  const locOf = (path: readonly (string | number)[]) => {
    const { line, col } = positionOf(src, path);
    return `${src.file}:${line}:${col}`;
  };
  const plan = readLoadBody(top.spec, scopedR, name, locOf, ["spec"]);
  if (!plan || hasErrors(diagnostics)) return { diagnostics };
  return { plan, diagnostics };
}

export function loadLoadTestFile(file: string): Promise<{ plan?: LoadPlan; diagnostics: Diagnostic[] }> {
  return loadFirstDocument(file, "LoadTest", readLoadTest);
}
