import type { ContractCheck, ContractInteraction } from "../types";

/** A value as the verifier saw it: strings quoted, nothing as such. */
function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

const tone = (status: string) =>
  status === "verified" ? "good" : status === "failed" || status === "error" ? "bad" : "warn";

/** Each interaction with its status, and for a broken one every mismatch: path, expected, actual. */
export function PactInteractions({ interactions }: { interactions: readonly ContractInteraction[] }) {
  return (
    <table class="pact" data-testid="pact-interactions">
      <tbody>
        {interactions.map((i, n) => (
          <tr key={n} data-interaction={i.description} class={tone(i.status)}>
            <td>
              <span class={`badge ${tone(i.status)}`}>{i.status}</span>
            </td>
            <td>
              <strong>{i.description}</strong>
              <div class="muted small">
                {i.consumer}
                {i.states.length > 0 ? ` · given ${i.states.join(", ")}` : ""} · {i.request.method}{" "}
                {i.request.url}
              </div>
              {i.error && <div class="small wrap">{i.error}</div>}
              {i.mismatches.length > 0 && (
                <ul class="mismatches small">
                  {i.mismatches.map((m, k) => (
                    <li key={k} data-mismatch={m.path || m.type}>
                      <code>
                        {m.type}
                        {m.path ? ` ${m.path}` : ""}
                      </code>
                      : {m.mismatch}
                      <div class="muted">
                        expected {shown(m.expected)} · actual {shown(m.actual)}
                      </div>
                    </li>
                  ))}
                  {i.mismatchesOmitted ? (
                    <li class="muted">
                      {i.mismatchesOmitted} more mismatches (withstand pact verify lists them all)
                    </li>
                  ) : null}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A pact verification run (`withstand pact verify`): the counts, then every interaction. */
export function PactRun({ result }: { result: unknown }) {
  const r = result as {
    results?: (ContractInteraction & { provider?: string })[];
    verified?: number;
    failed?: number;
    pending?: number;
    skipped?: number;
  } | null;
  if (!r?.results) return null;
  return (
    <div data-testid="pact-run">
      <h3>Interactions</h3>
      <p class="muted">
        {r.verified ?? 0} verified · {r.failed ?? 0} failed
        {r.pending ? ` · ${r.pending} pending` : ""}
        {r.skipped ? ` · ${r.skipped} not HTTP (skipped)` : ""}
      </p>
      <PactInteractions interactions={r.results} />
    </div>
  );
}

/** A rollout's contract gate at one measurement: which version, the counts, the interactions. */
export function PactGate({ contract }: { contract: ContractCheck }) {
  return (
    <div class="pact-gate" data-testid="pact-gate">
      <p class="small">
        <strong>pact gate</strong> on the {contract.version} ({contract.url}): {contract.verified} of{" "}
        {contract.total} verified, {contract.failed} broken
        {contract.pending ? `, ${contract.pending} pending` : ""}
        {contract.skipped ? `, ${contract.skipped} not HTTP` : ""}
        {contract.omitted ? ` (${contract.omitted} more not shown)` : ""}
      </p>
      <PactInteractions interactions={contract.interactions} />
    </div>
  );
}
