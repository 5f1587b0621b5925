import { useEffect, useRef, useState } from "preact/hooks";
import { getJson, postJson } from "../api";
import { when } from "../format";

/** A flag as its server lists it (GET /api/flags on `withstand flags serve`). */
interface Flag {
  key: string;
  state: "ENABLED" | "DISABLED";
  defaultVariant: string | null;
  variants: Record<string, unknown>;
  weights: Record<string, number> | null;
  overridden: Record<string, unknown> | null;
  leases: { actor: string; expiresInMs: number }[];
}

interface Change {
  ts: string;
  server: string;
  flag: string;
  actor: string;
  before: { state?: string; defaultVariant?: string | null; weights?: Record<string, number> } | null;
  after: { state?: string; defaultVariant?: string | null; weights?: Record<string, number> } | null;
  reason: string;
}

interface FlagsView {
  servers: { url: string; name?: string; flags?: Flag[]; error?: string }[];
  changes: Change[];
}

/** A flip waiting for confirmation. */
interface Pending {
  server: string;
  flag: string;
  variant?: string;
  state?: "ENABLED" | "DISABLED";
  what: string;
}

const shares = (w: Record<string, number> | null | undefined) => {
  if (!w) return "";
  const total = Object.values(w).reduce((a, b) => a + b, 0) || 1;
  return Object.entries(w)
    .map(([v, n]) => `${v} ${Math.round((n / total) * 1000) / 10}%`)
    .join(" · ");
};

const describe = (s: Change["after"]) =>
  s ? `${s.state} ${s.defaultVariant ?? "(none)"}${s.weights ? ` [${shares(s.weights)}]` : ""}` : "none";

/**
 * Every flag of the flag servers `serve` knows: state, variants, default variant, fractional shares
 * (a flag rollout's progress), leases, and the audit trail; a guarded switch (the dashboard's token and
 * a confirmation, like Halt) flips a flag's default variant or its state (the ops kill switch).
 */
export function Flags() {
  const [view, setView] = useState<FlagsView | null>(null);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const [pending, setPending] = useState<Pending | null>(null);
  const [reason, setReason] = useState("");
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    getJson<FlagsView>("/api/flags").then(setView, (e: Error) => setError(e.message));
  }, [tick]);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 2000);
    return () => clearInterval(timer);
  }, []);
  const ask = (p: Pending) => {
    setPending(p);
    setReason("");
    dialog.current?.showModal();
  };
  const flip = async () => {
    if (!pending) return;
    try {
      await postJson("/api/flags/switch", {
        server: pending.server,
        flag: pending.flag,
        ...(pending.variant !== undefined ? { variant: pending.variant } : {}),
        ...(pending.state !== undefined ? { state: pending.state } : {}),
        reason,
      });
      setError("");
    } catch (e) {
      setError(`Switch failed: ${(e as Error).message}`);
    } finally {
      dialog.current?.close();
      setPending(null);
      setTick((n) => n + 1);
    }
  };
  if (!view) return error ? <p class="error">{error}</p> : <p class="muted">Loading…</p>;
  return (
    <section data-testid="flags">
      {error && (
        <p class="error" data-testid="flags-error">
          {error}
        </p>
      )}
      {view.servers.length === 0 && (
        <p class="muted">
          No flag server connected: start one with withstand flags serve FILE and serve with --flags URL.
        </p>
      )}
      {view.servers.map((s) => (
        <div key={s.url} class="monitor">
          <h2>
            Flags on {s.name ?? s.url} <span class="muted small">{s.url}</span>
          </h2>
          {s.error && (
            <p class="error">
              {s.url}: {s.error}
            </p>
          )}
          {s.flags && (
            <table>
              <thead>
                <tr>
                  <th>flag</th>
                  <th>state</th>
                  <th>default variant</th>
                  <th>shares (fractional)</th>
                  <th>switch</th>
                </tr>
              </thead>
              <tbody>
                {s.flags.map((f) => (
                  <tr key={f.key} data-flag={f.key}>
                    <td>
                      <strong>{f.key}</strong>
                      <div class="muted small">
                        variants: {Object.keys(f.variants).join(", ")}
                        {f.leases.length > 0 &&
                          ` · leased by ${f.leases.map((l) => `${l.actor} (${Math.ceil(l.expiresInMs / 1000)}s)`).join(", ")}`}
                      </div>
                    </td>
                    <td>
                      <span
                        class={`badge ${f.state === "ENABLED" ? "good" : "bad"}`}
                        data-testid="flag-state"
                      >
                        {f.state}
                      </span>
                    </td>
                    <td data-testid="flag-default">{f.defaultVariant ?? "(none)"}</td>
                    <td data-testid="flag-shares">{shares(f.weights)}</td>
                    <td>
                      <select
                        data-switch={f.key}
                        value=""
                        onChange={(e) => {
                          const v = (e.target as HTMLSelectElement).value;
                          if (v)
                            ask({ server: s.url, flag: f.key, variant: v, what: `default variant to ${v}` });
                        }}
                      >
                        <option value="">default variant…</option>
                        {Object.keys(f.variants)
                          .filter((v) => v !== f.defaultVariant)
                          .map((v) => (
                            <option key={v} value={v}>
                              {v}
                            </option>
                          ))}
                      </select>{" "}
                      <button
                        type="button"
                        class={f.state === "ENABLED" ? "kill" : ""}
                        data-kill={f.key}
                        onClick={() =>
                          ask({
                            server: s.url,
                            flag: f.key,
                            state: f.state === "ENABLED" ? "DISABLED" : "ENABLED",
                            what: f.state === "ENABLED" ? "DISABLED (kill switch)" : "ENABLED",
                          })
                        }
                      >
                        {f.state === "ENABLED" ? "Disable" : "Enable"}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
      <h2>Recent flips</h2>
      {view.changes.length === 0 ? (
        <p class="muted">No flag change recorded yet.</p>
      ) : (
        <table data-testid="flag-audit">
          <tbody>
            {view.changes.map((c, i) => (
              <tr key={`${c.ts}-${i}`} data-change={c.flag}>
                <td class="muted small">{when(c.ts)}</td>
                <td>
                  <strong>{c.flag}</strong> <span class="muted small">{c.server}</span>
                </td>
                <td>{c.actor}</td>
                <td>
                  {describe(c.before)} → {describe(c.after)}
                </td>
                <td>{c.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <dialog ref={dialog} class="confirm">
        <h3>
          Switch {pending?.flag} to {pending?.what}?
        </h3>
        <p>
          Every client evaluating this flag sees the change at its next evaluation. It is audited with your
          reason.
        </p>
        <input
          data-testid="flip-reason"
          placeholder="reason (e.g. incident 4711)"
          value={reason}
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="kill" data-testid="confirm-flip" onClick={() => void flip()}>
            Switch
          </button>
        </div>
      </dialog>
    </section>
  );
}
