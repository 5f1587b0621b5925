import type { ExperimentSpec } from "../core/experiment.js";
import { defineRunKind } from "../engine/run-kind.js";
import {
  EXPERIMENT_OUTCOMES,
  type ExperimentOptions,
  executeInScope,
  experimentServices,
  journalChecks,
} from "./experiment.js";

/**
 * One fault without an experiment (`withstand inject KIND --attr value`): the CLI builds a one-action
 * experiment from the flags; it runs, reverts and is recorded as an experiment is, under its own kind.
 */
export const injectKind = defineRunKind<ExperimentSpec, ExperimentOptions>({
  name: "inject",
  documentKinds: [],
  outcomes: EXPERIMENT_OUTCOMES,
  dryRuns: true,
  header: (spec) => ({ title: spec.title, source: spec.file }),
  services: experimentServices,
  execute: executeInScope,
  view: { label: "injected faults", checks: journalChecks },
});
