import type { LoadPlan } from "../core/load-plan.js";
import { type Diagnostic, hasErrors } from "./diagnostic.js";
import { readLoadBody } from "./load-test.js";
import { checkKeys, isRecord, type Reporter } from "./reporter.js";
import { diagnosticAt, loadFirstDocument, positionOf, type SourceDoc } from "./source.js";

/** Reads a `kind: LoadTest` document into a plan, with file:line:col diagnostics. */
export function readLoadTest(src: SourceDoc): { plan?: LoadPlan; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const r: Reporter = {
    deferVars: false,
    error: (path, message) => diagnostics.push(diagnosticAt(src, path, message, "error")),
    warn: (path, message, onKey) => diagnostics.push(diagnosticAt(src, path, message, "warning", onKey)),
  };
  const top = src.value;
  if (!isRecord(top) || top.apiVersion !== "withstand/v1" || top.kind !== "LoadTest") {
    r.error(["kind"], "expected apiVersion: withstand/v1 and kind: LoadTest");
    return { diagnostics };
  }
  checkKeys(top, ["apiVersion", "kind", "metadata", "spec"], [], r);
  const name = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "load";
  if (!isRecord(top.spec)) {
    r.error(["spec"], "is required (expected a mapping with requests, executor, rate, duration, thresholds)");
    return { diagnostics };
  }
  const scopedR: Reporter = {
    ...r,
    error: (p, m) => r.error(["spec", ...p], m),
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
