import type { ExperimentSpec } from "../core/experiment.js";
import { type Diagnostic, fileDiagnostic, hasErrors } from "./diagnostic.js";
import { readExperiment } from "./experiment.js";
import { parseSource, readSource, type SourceDoc, unreadable } from "./source.js";

export interface LoadedExperiment {
  spec?: ExperimentSpec;
  diagnostics: Diagnostic[];
}

/** Reads and validates an experiment file (or URL); never throws for bad input. */
export async function loadExperimentFile(file: string): Promise<LoadedExperiment> {
  let text: string;
  try {
    text = await readSource(file);
  } catch (err) {
    return { diagnostics: [unreadable(file, err, "an experiment file in YAML or JSON")] };
  }
  return loadExperimentText(file, text);
}

export function loadExperimentText(file: string, text: string): LoadedExperiment {
  return experimentFromParsed(file, parseSource(file, text));
}

/** The experiment in text already parsed (validate parses once for every kind). */
export function experimentFromParsed(
  file: string,
  parsed: { docs: SourceDoc[]; diagnostics: Diagnostic[] },
): LoadedExperiment {
  const { docs } = parsed;
  const diagnostics = [...parsed.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };
  const [first, ...rest] = docs;
  if (!first) {
    return {
      diagnostics: [...diagnostics, fileDiagnostic(file, "empty document (expected an experiment)")],
    };
  }
  if (rest.length > 0) {
    diagnostics.push(
      fileDiagnostic(file, `${rest.length + 1} documents found; only the first is an experiment`, "warning"),
    );
  }
  const result = readExperiment(first);
  const all = [...diagnostics, ...result.diagnostics];
  return result.spec ? { spec: result.spec, diagnostics: all } : { diagnostics: all };
}
