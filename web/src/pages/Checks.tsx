import { useEffect, useState } from "preact/hooks";
import { getJson, postJson, subscribe } from "../api";
import { when } from "../format";
import type { ChecksView } from "../types";

/** Green and red bars, oldest first: a check's recent results at a glance. */
function Bars({ history }: { history: { ok: boolean; at: string | number }[] }) {
  return (
    <span class="bars">
      {history.map((h) => (
        <i key={String(h.at)} class={h.ok ? "up" : "down"} title={new Date(h.at).toISOString()} />
      ))}
    </span>
  );
}

/**
 * Every check a monitor runs (Goss entries, synthetics, heartbeats) with its state, severity, output,
 * history and acknowledgement, and the synthetics the store recorded with their pass rate.
 */
export function Checks() {
  const [view, setView] = useState<ChecksView | null>(null);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    getJson<ChecksView>("/api/checks").then(setView, (e: Error) => setError(e.message));
  }, [tick]);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 5000);
    const unsubscribe = subscribe((type) => {
      if (type === "run-event") setTick((n) => n + 1);
    });
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, []);
  const ack = async (monitor: string, id: string, remove: boolean) => {
    const note = remove ? "" : (prompt(`Acknowledge ${id}: why?`, "looking into it") ?? "");
    try {
      await postJson("/api/checks/ack", { monitor, id, note, remove });
      setTick((n) => n + 1);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (error) return <p class="error">{error}</p>;
  if (!view) return <p class="muted">Loading…</p>;
  return (
    <section data-testid="checks">
      {view.monitors.length === 0 && (
        <p class="muted">
          No monitor connected: start one with withstand monitor FILES and serve with --monitor URL.
        </p>
      )}
      {view.monitors.map((m) => (
        <div key={m.url} class="monitor">
          <h2>
            {m.health?.name ?? m.url}{" "}
            {m.health && (
              <span class={`badge ${m.health.ok ? "good" : "bad"}`} data-testid="monitor-overall">
                {m.health.ok ? "OK" : `NOT OK · severity ${m.health.severity}`}
              </span>
            )}
          </h2>
          {m.error && (
            <p class="error">
              {m.url}: {m.error}
            </p>
          )}
          {m.health && (
            <table data-testid="monitor-checks">
              <tbody>
                {m.health.checks.map((c) => (
                  <tr key={c.id} data-check={c.id} class={c.ok ? "" : "failing"}>
                    <td>
                      <span class={`badge ${c.ok ? "good" : c.ack ? "warn" : "bad"}`}>
                        {c.ok ? "ok" : c.ack ? "acknowledged" : "failing"}
                      </span>
                    </td>
                    <td>
                      <strong>{c.name}</strong>
                      <div class="muted small">
                        {c.id} · {m.health?.kinds[c.id] ?? ""} · severity {c.severity} · {when(c.lastUpdated)}
                      </div>
                    </td>
                    <td>
                      {c.checkOutput}
                      {c.ack && <div class="muted small">{c.ack}</div>}
                      {c.businessImpact && <div class="muted small">impact: {c.businessImpact}</div>}
                    </td>
                    <td>
                      <Bars history={m.health?.states[c.id]?.history ?? []} />
                    </td>
                    <td>
                      {!c.ok && (
                        <button type="button" data-ack={c.id} onClick={() => void ack(m.url, c.id, !!c.ack)}>
                          {c.ack ? "Unacknowledge" : "Acknowledge"}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {m.health && m.health.heartbeats.length > 0 && (
            <p class="muted small" data-testid="heartbeats">
              Heartbeats:{" "}
              {m.health.heartbeats.map((h) => `/heartbeat/${h.name} due by ${when(h.deadline)}`).join(" · ")}
            </p>
          )}
        </div>
      ))}
      <h2>Synthetic transactions</h2>
      {view.synthetics.length === 0 ? (
        <p class="muted">No synthetic run recorded yet (withstand synthetic FILE, or a monitor).</p>
      ) : (
        <table data-testid="synthetics">
          <tbody>
            {view.synthetics.map((s) => (
              <tr key={s.name} data-synthetic={s.name}>
                <td>
                  <span class={`badge ${s.last.outcome === "passed" ? "good" : "bad"}`}>
                    {s.last.outcome}
                  </span>
                </td>
                <td>
                  <strong>{s.name}</strong>
                  <div class="muted small">
                    {s.passed}/{s.runs} runs passed · last{" "}
                    <a href={`#/runs/${s.last.id}`}>{when(s.last.startedAt)}</a>
                  </div>
                </td>
                <td>
                  <Bars history={s.history} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
