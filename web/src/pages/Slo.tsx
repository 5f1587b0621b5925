import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api";
import { Chart } from "../components/Chart";
import { duration, pct } from "../format";
import type { SloView } from "../types";

export function Slo() {
  const [data, setData] = useState<{ slos: SloView[]; errors: string[] } | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    const load = () =>
      getJson<{ slos: SloView[]; errors: string[] }>("/api/slo").then(setData, (e: Error) =>
        setError(e.message),
      );
    void load();
    const t = setInterval(load, 15_000);
    return () => clearInterval(t);
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h2>Service level objectives</h2>
      {data.errors.map((e) => (
        <p class="error" key={e}>
          {e}
        </p>
      ))}
      {data.slos.length === 0 && (
        <p class="empty">
          No SLOs to show. Start the dashboard with an OpenSLO file:{" "}
          <code>withstand serve --slo examples/demo/slo.yaml</code>
        </p>
      )}
      {data.slos.map(({ status: s, burn }) => {
        const left = s.budget.budgetRemainingFraction;
        return (
          <article class="slo" key={`${s.slo}/${s.objective}`} data-testid="slo">
            <header>
              <h3>
                {s.slo}{" "}
                <span class="muted">
                  · {s.service} · {s.objective}
                </span>
              </h3>
              <span class={`badge ${s.alerts.some((a) => a.firing) ? "bad" : "good"}`}>
                {s.alerts.some((a) => a.firing) ? "alert firing" : "no alert"}
              </span>
            </header>
            <div class="kpis">
              <div>
                <div class="kpi">{pct(s.budget.sli, 3)}</div>
                <div class="muted">
                  SLI over {s.events} events (target {pct(s.budget.target, 2)})
                </div>
              </div>
              <div>
                <div class={`kpi ${left < 0 ? "bad" : left < 0.25 ? "warn" : "good"}`}>{pct(left, 1)}</div>
                <div class="muted">error budget remaining</div>
                <div class="bar">
                  <span style={{ width: `${Math.max(0, Math.min(1, left)) * 100}%` }} />
                </div>
              </div>
              <div>
                <div class="kpi">
                  {s.timeToExhaustionMs === null || !Number.isFinite(s.timeToExhaustionMs)
                    ? "∞"
                    : duration(s.timeToExhaustionMs)}
                </div>
                <div class="muted">until exhausted at the 1h burn rate</div>
              </div>
            </div>
            <Chart
              title="Burn rate (5 min windows, last hour)"
              times={burn.map((b) => b.t)}
              series={[{ label: "burn rate", color: "#dc2626", values: burn.map((b) => b.burn) }]}
              unit="x"
            />
            <table>
              <thead>
                <tr>
                  {Object.keys(s.burnRates).map((w) => (
                    <th key={w}>{w}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  {Object.entries(s.burnRates).map(([w, r]) => (
                    <td key={w} class={r >= 1 ? "bad" : ""}>
                      {Number.isFinite(r) ? r.toFixed(2) : "∞"}×
                    </td>
                  ))}
                </tr>
              </tbody>
            </table>
            <table>
              <tbody>
                {s.alerts.map((a) => (
                  <tr key={`${a.long}/${a.short}`}>
                    <td>{a.severity}</td>
                    <td>
                      {a.long}/{a.short} at {a.factor.toFixed(1)}×
                    </td>
                    <td>
                      <span class={`badge ${!a.canFire ? "warn" : a.firing ? "bad" : "good"}`}>
                        {!a.canFire ? "can never fire" : a.firing ? "FIRING" : "ok"}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        );
      })}
    </section>
  );
}
