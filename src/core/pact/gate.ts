import { z } from "zod";
import { bool, nonEmpty, num, oneOf, oneOrList } from "../values.js";
import type { Mismatch } from "./json.js";

/**
 * A rollout's contract gate: an Argo metric whose provider is `pact` verifies one version (the
 * canary by default) against its consumers' pacts at each measurement. Its `result` is the count of
 * interactions per outcome (`result.failed`, `result.verified`, ...); without a condition, the
 * measurement fails when any interaction broke the contract.
 */
export const PACT_GATE_VERSIONS = ["canary", "stable", "baseline"] as const;

/** `provider.pact` of an AnalysisTemplate metric: one schema for validation and execution. */
export const pactGateSchema = z.strictObject({
  /** Pact files, directories of pact files (a broker's download, Pact JS's `pacts/`) or URLs. */
  pacts: oneOrList(nonEmpty("a pact file, a directory of pact files, or a pact's URL")),
  /** The version verified (default the canary). */
  version: oneOf(PACT_GATE_VERSIONS).optional(),
  /** Pact's state-change URL: absolute, or a path on the verified version (`/_pact/state`). */
  stateChangeUrl: nonEmpty("the state-change URL, or a path on the version such as /_pact/state").optional(),
  stateChangeTeardown: bool.optional(),
  consumer: nonEmpty("a consumer's name").optional(),
  headers: z.array(z.strictObject({ key: nonEmpty("a header name"), value: z.coerce.string() })).optional(),
  /** Seconds per request (Argo's providers count their timeouts in seconds). */
  timeout: num("seconds").optional(),
});

export type PactGateInput = z.infer<typeof pactGateSchema>;

/** The gate as a rollout runs it: pacts resolved against the template's directory. */
export interface PactGate {
  type: "pact";
  pacts: string[];
  version: (typeof PACT_GATE_VERSIONS)[number];
  stateChangeUrl?: string;
  stateChangeTeardown: boolean;
  consumer?: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Without a condition, a pact metric succeeds only when no interaction broke the contract. */
export const PACT_DEFAULT_CONDITION = "result.failed == 0";

/** What the gate found: counts, and each interaction that was not verified with its mismatches. */
export interface ContractCheck {
  /** The version verified and its address. */
  version: string;
  url: string;
  verified: number;
  failed: number;
  pending: number;
  skipped: number;
  total: number;
  interactions: ContractInteraction[];
  /** Interactions left out of `interactions` to keep the record small. */
  omitted: number;
}

export interface ContractInteraction {
  consumer: string;
  description: string;
  states: string[];
  status: string;
  error?: string;
  request: { method: string; url: string };
  mismatches: Mismatch[];
  /** Mismatches left out of `mismatches` to keep the record small. */
  mismatchesOmitted?: number;
}

/** Limits that keep a measurement's record small with thousands of interactions. */
export const MAX_INTERACTIONS = 100;
export const MAX_MISMATCHES = 10;

/** Every interaction in order, broken ones first, capped; long values cut. */
export function contractCheck(
  version: string,
  url: string,
  results: readonly (ContractInteraction & { durationMs?: number })[],
): ContractCheck {
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const rank = (s: string) => (s === "failed" || s === "error" ? 0 : s === "pending" ? 1 : 2);
  const ordered = [...results].sort((a, b) => rank(a.status) - rank(b.status));
  const kept = ordered.slice(0, MAX_INTERACTIONS).map((r) => ({
    consumer: r.consumer,
    description: r.description,
    states: r.states,
    status: r.status,
    ...(r.error !== undefined ? { error: r.error } : {}),
    request: r.request,
    mismatches: r.mismatches.slice(0, MAX_MISMATCHES).map((m) => ({
      ...m,
      expected: cut(m.expected),
      actual: cut(m.actual),
      mismatch: m.mismatch.length > 500 ? `${m.mismatch.slice(0, 497)}...` : m.mismatch,
    })),
    ...(r.mismatches.length > MAX_MISMATCHES
      ? { mismatchesOmitted: r.mismatches.length - MAX_MISMATCHES }
      : {}),
  }));
  return {
    version,
    url,
    verified: count("verified"),
    failed: count("failed") + count("error"),
    pending: count("pending"),
    skipped: count("not-http"),
    total: results.length,
    interactions: kept,
    omitted: results.length - kept.length,
  };
}

function cut(v: unknown): unknown {
  if (v === undefined || v === null || typeof v === "number" || typeof v === "boolean") return v;
  const text = typeof v === "string" ? v : JSON.stringify(v);
  if (text.length <= 200) return v;
  return `${text.slice(0, 197)}...`;
}

/** The result the conditions see: `result.failed`, `result.verified`, ... */
export function contractResult(c: ContractCheck): Record<string, number> {
  return { verified: c.verified, failed: c.failed, pending: c.pending, skipped: c.skipped, total: c.total };
}

/** One line: the counts and the first broken interaction's first mismatch. */
export function describeContract(c: ContractCheck): string {
  const counts = `${c.verified} of ${c.total} interactions verified on the ${c.version}`;
  const first = c.interactions.find((i) => i.status === "failed" || i.status === "error");
  if (!first) return counts;
  const m = first.mismatches[0];
  const what = first.error ?? (m ? `${m.path ? `${m.path}: ` : ""}${m.mismatch}` : first.status);
  return `${c.failed} broke the contract, ${counts}; first: ${first.consumer} "${first.description}": ${what}`;
}
