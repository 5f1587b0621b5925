import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api";
import { pct } from "../format";

interface Spread {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

interface DoraWeek {
  week: string;
  deployments: number;
  failures: number;
  failureRate: number | null;
  leadMedianMinutes: number | null;
  recoveryMedianHours: number | null;
}

interface DoraData {
  since: string;
  from: string;
  to: string;
  deployments: number;
  failures: number;
  deploymentFrequency: { bucket: string; perWeekMedianDays: number; weeksWithDeploy: number; weeks: number };
  leadTime: { medianMinutes: number | null; bucket: string | null; changes: number; dropped: number };
  changeFailureRate: { rate: number | null; bucket: string | null; denominator: string };
  recoveryTime: { medianHours: number | null; bucket: string | null; recoveries: number; start: string };
  distributions: {
    weeks: DoraWeek[];
    deploymentsPerWeek: Spread | null;
    leadMinutes: Spread | null;
    recoveryHours: Spread | null;
  };
}

const PERIODS = ["30d", "90d", "180d", "365d"] as const;

/** Minutes as the largest unit that reads well: 45m, 5.2h, 3.1d. */
function minutes(m: number | null): string {
  if (m === null) return "no data";
  if (m < 60) return `${m.toFixed(0)}m`;
  if (m < 48 * 60) return `${(m / 60).toFixed(1)}h`;
  return `${(m / 1440).toFixed(1)}d`;
}

function spreadLine(s: Spread | null, show: (x: number) => string): string {
  return s ? `median ${show(s.median)} · p90 ${show(s.p90)} · worst ${show(s.max)} · n=${s.n}` : "no data";
}

function Key(props: { name: string; value: string; bucket: string | null; detail: string; testid: string }) {
  return (
    <article class="dora-key" data-testid={props.testid}>
      <h4>{props.name}</h4>
      <strong>{props.value}</strong>
      {props.bucket && <span class="badge">{props.bucket}</span>}
      <div class="muted small">{props.detail}</div>
    </article>
  );
}

/**
 * DORA's four keys from the stored rollouts (GET /api/dora), as `withstand dora` computes them, with the
 * spread of each key over the period and its week-by-week values.
 */
export function DoraPanel() {
  const [since, setSince] = useState<string>("90d");
  const [denominator, setDenominator] = useState("attempts");
  const [recoveryStart, setRecoveryStart] = useState("deploy");
  const [data, setData] = useState<DoraData | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    const q = new URLSearchParams({ since, denominator, recoveryStart });
    getJson<DoraData>(`/api/dora?${q}`).then(
      (d) => {
        setData(d);
        setError("");
      },
      (e: Error) => setError(e.message),
    );
  }, [since, denominator, recoveryStart]);
  const weeks = data?.distributions.weeks ?? [];
  const most = Math.max(1, ...weeks.map((w) => w.deployments + w.failures));
  return (
    <section class="dora" data-testid="dora">
      <h2>DORA four keys</h2>
      <div class="dora-controls">
        <label>
          period{" "}
          <select
            data-testid="dora-period"
            value={since}
            onChange={(e) => setSince((e.target as HTMLSelectElement).value)}
          >
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                last {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          failure rate over{" "}
          <select
            data-testid="dora-denominator"
            value={denominator}
            onChange={(e) => setDenominator((e.target as HTMLSelectElement).value)}
          >
            <option value="attempts">all attempts</option>
            <option value="deployments">successful deployments (fourkeys)</option>
          </select>
        </label>
        <label>
          recovery from{" "}
          <select
            data-testid="dora-recovery-start"
            value={recoveryStart}
            onChange={(e) => setRecoveryStart((e.target as HTMLSelectElement).value)}
          >
            <option value="deploy">the failed deployment's start (fourkeys)</option>
            <option value="rollback">its rollback</option>
          </select>
        </label>
      </div>
      {error && <p class="error">{error}</p>}
      {!data ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <p class="muted small" data-testid="dora-summary">
            {data.from.slice(0, 10)} to {data.to.slice(0, 10)}: {data.deployments} deployments,{" "}
            {data.failures} failed
          </p>
          <div class="dora-keys">
            <Key
              testid="dora-frequency"
              name="Deployment frequency"
              value={`${data.deploymentFrequency.weeksWithDeploy} of ${data.deploymentFrequency.weeks} weeks`}
              bucket={data.deploymentFrequency.bucket}
              detail={`deploys a week: ${spreadLine(data.distributions.deploymentsPerWeek, (x) => x.toFixed(1))}`}
            />
            <Key
              testid="dora-lead"
              name="Lead time for changes"
              value={minutes(data.leadTime.medianMinutes)}
              bucket={data.leadTime.bucket}
              detail={`${spreadLine(data.distributions.leadMinutes, minutes)}${data.leadTime.dropped ? ` · ${data.leadTime.dropped} ≤ 0 dropped` : ""}`}
            />
            <Key
              testid="dora-failure-rate"
              name="Change failure rate"
              value={data.changeFailureRate.rate === null ? "no data" : pct(data.changeFailureRate.rate, 1)}
              bucket={data.changeFailureRate.bucket}
              detail={`failures / ${data.changeFailureRate.denominator === "attempts" ? "all attempts" : "successful deployments"}`}
            />
            <Key
              testid="dora-recovery"
              name="Time to restore"
              value={minutes(
                data.recoveryTime.medianHours === null ? null : data.recoveryTime.medianHours * 60,
              )}
              bucket={data.recoveryTime.bucket}
              detail={spreadLine(data.distributions.recoveryHours, (h) => minutes(h * 60))}
            />
          </div>
          <table class="dora-weeks" data-testid="dora-weeks">
            <thead>
              <tr>
                <th>week of</th>
                <th>deployments</th>
                <th>failure rate</th>
                <th>lead time (median)</th>
                <th>time to restore (median)</th>
              </tr>
            </thead>
            <tbody>
              {weeks.map((w) => (
                <tr key={w.week} data-week={w.week}>
                  <td>{w.week}</td>
                  <td>
                    <span
                      class="bar good"
                      style={{ width: `${(60 * w.deployments) / most}px` }}
                      title={`${w.deployments} deployed`}
                    />
                    <span
                      class="bar bad"
                      style={{ width: `${(60 * w.failures) / most}px` }}
                      title={`${w.failures} failed`}
                    />{" "}
                    <span class="num">
                      {w.deployments}
                      {w.failures ? ` + ${w.failures} failed` : ""}
                    </span>
                  </td>
                  <td class="num">{w.failureRate === null ? "–" : pct(w.failureRate, 0)}</td>
                  <td class="num">{w.leadMedianMinutes === null ? "–" : minutes(w.leadMedianMinutes)}</td>
                  <td class="num">
                    {w.recoveryMedianHours === null ? "–" : minutes(w.recoveryMedianHours * 60)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
