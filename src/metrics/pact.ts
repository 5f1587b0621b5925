import type { MetricProvider, VersionCheckQuery, VersionCheckResult } from "../core/metric-provider.js";
import { contractCheck, contractResult } from "../core/pact/gate.js";
import { formatDiagnostic } from "../documents/diagnostic.js";
import { loadPacts } from "../pact/load.js";
import type { StateHandler } from "../pact/states.js";
import { verifyPacts } from "../pact/verify.js";

/** `/_pact/state` is a path on the version verified; an absolute URL is used as it is. */
export function stateUrlOf(stateChangeUrl: string, versionUrl: string): string {
  return /^https?:\/\//i.test(stateChangeUrl)
    ? stateChangeUrl
    : new URL(stateChangeUrl, versionUrl).toString();
}

async function check(q: VersionCheckQuery, signal?: AbortSignal): Promise<VersionCheckResult> {
  const p = q.provider;
  // Read at each measurement: a consumer's new pact counts from the next one.
  const { pacts, diagnostics } = await loadPacts(p.pacts, signal);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((d) => formatDiagnostic(d)).join("; "));
  const states: StateHandler =
    p.stateChangeUrl === undefined
      ? { kind: "none" }
      : { kind: "url", url: stateUrlOf(p.stateChangeUrl, q.url), teardown: p.stateChangeTeardown };
  const results = await verifyPacts(pacts, {
    providerBaseUrl: q.url,
    states,
    consumer: p.consumer,
    headers: p.headers,
    timeoutMs: p.timeoutMs,
    signal,
  });
  if (results.length === 0)
    throw new Error(
      `no interaction to verify in ${p.pacts.join(", ")}${p.consumer ? ` for consumer ${p.consumer}` : ""}`,
    );
  const contract = contractCheck(q.version, q.url, results);
  return { result: contractResult(contract), contract };
}

/**
 * Pact as a rollout analysis (`provider: {pact: {pacts, stateChangeUrl}}` in an AnalysisTemplate):
 * each measurement verifies the version, the canary by default, against its consumers' pacts.
 */
export const pactProvider: MetricProvider = { type: "pact", check };
