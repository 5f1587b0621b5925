import type { RunKind } from "../engine/run-kind.js";
import { experimentKind } from "./experiment.js";
import { gameDayKind } from "./gameday.js";
import { injectKind } from "./inject.js";
import { loadKind } from "./load.js";
import { pactKind } from "./pact.js";
import { rolloutKind } from "./rollout.js";
import { syntheticKind } from "./synthetic.js";

/**
 * Every run kind, by its stored name: `runs --kind`, reports, JUnit, `runs show`, the dashboard's
 * filter (through /api/run-kinds) and the library's `run` all read this. A new kind (game days next)
 * is one module here and one line.
 */
export const RUN_KINDS: ReadonlyMap<string, RunKind> = new Map(
  [experimentKind, loadKind, rolloutKind, syntheticKind, injectKind, pactKind, gameDayKind].map((k) => [
    k.name,
    k,
  ]),
);

/** The kind that runs a document of this `kind:` (or `chaostoolkit`). */
export function kindForDocument(documentKind: string): RunKind | undefined {
  return [...RUN_KINDS.values()].find((k) => k.documentKinds.includes(documentKind));
}

/** The run kinds as the API serves them to the dashboard. */
export function runKindList(): { name: string; label: string; documentKinds: readonly string[] }[] {
  return [...RUN_KINDS.values()].map((k) => ({
    name: k.name,
    label: k.view.label,
    documentKinds: k.documentKinds,
  }));
}
