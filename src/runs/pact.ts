import { stoppedOutcome } from "../core/run-outcome.js";
import { defineRunKind } from "../engine/run-kind.js";
import type { LoadedPact } from "../pact/load.js";
import type { VerifyOptions } from "../pact/verify.js";
import type { RunDetail } from "../store/store.js";

/** What a pact verification runs: the pacts, read and checked already, and how to reach the provider. */
export interface PactRunSpec {
  pacts: LoadedPact[];
  /** The pact files or URLs as given (the run's source). */
  sources: string[];
  verify: Omit<VerifyOptions, "signal" | "onResult">;
  onResult?: VerifyOptions["onResult"];
}

interface StoredResult {
  consumer: string;
  description: string;
  status: string;
  error?: string;
  mismatches: { path: string; mismatch: string }[];
  durationMs: number;
}

/** One check per interaction, with its first mismatch. */
function interactionChecks(run: RunDetail) {
  const results = (run.result as { results?: StoredResult[] } | null)?.results;
  return (results ?? []).map((r) => {
    const first = r.mismatches[0];
    return {
      suite: r.consumer,
      name: r.description,
      ok: r.status === "verified" || r.status === "not-http" || r.status === "pending",
      message: r.error ?? (first ? `${first.path} ${first.mismatch}`.trim() : r.status),
      seconds: r.durationMs / 1000,
    };
  });
}

/** A provider verified against its consumers' pacts (`withstand pact verify`). */
export const pactKind = defineRunKind<PactRunSpec, Record<string, never>>({
  name: "pact",
  documentKinds: [],
  outcomes: ["verified", "contract-broken", "interrupted", "halted", "deadline", "invalid", "crashed"],
  dryRuns: false,
  header: (spec) => ({
    title: `pact ${[...new Set(spec.pacts.map((p) => `${p.pact.consumer} → ${p.pact.provider}`))].join(", ")}`,
    source: spec.sources.join(" "),
  }),
  async execute(spec, scope) {
    const { verdictOf, verifyPacts } = await import("../pact/verify.js");
    const started = performance.now();
    const results = await verifyPacts(spec.pacts, {
      ...spec.verify,
      signal: scope.signal,
      ...(spec.onResult ? { onResult: spec.onResult } : {}),
    });
    const v = verdictOf(results);
    const stopped = scope.signal.aborted;
    return {
      outcome: stopped ? stoppedOutcome(scope.signal.reason) : v.ok ? "verified" : "contract-broken",
      reason: stopped
        ? `stopped after ${results.length} interactions`
        : v.ok
          ? `${v.verified} of ${results.length} interactions verified`
          : `${v.failed} of ${results.length} interactions broke the contract`,
      result: { results, ...v },
      durationMs: performance.now() - started,
    };
  },
  view: { label: "contract verifications", checks: interactionChecks },
});
