/**
 * Compares responses off the main thread: a consumer's regex can backtrack for minutes, and the
 * verifier (and the rollout gate in the runner) must keep answering signals meanwhile. The host
 * ends this worker when a comparison runs over its budget.
 */
import { parentPort } from "node:worker_threads";
import type { PactResponse } from "../core/pact/pact-file.js";
import { type ActualResponse, matchResponse } from "../core/pact/response.js";
import { type MatchingRules, RuleCategory } from "../core/pact/rules.js";
import { compareXml } from "./xml.js";

interface MatchJob {
  id: number;
  expected: PactResponse;
  actual: ActualResponse;
}

/** A structured clone keeps a rule category's data but not its class: give it back its methods. */
function revive(rules: MatchingRules): void {
  for (const category of Object.values(rules)) Object.setPrototypeOf(category, RuleCategory.prototype);
}

parentPort?.on("message", (job: MatchJob) => {
  try {
    revive(job.expected.rules);
    parentPort?.postMessage({ id: job.id, mismatches: matchResponse(job.expected, job.actual, compareXml) });
  } catch (err) {
    parentPort?.postMessage({ id: job.id, error: (err as Error).message });
  }
});
