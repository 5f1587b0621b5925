import { ActiveRollouts } from "../components/ActiveRollouts";
import { KillSwitch } from "../components/KillSwitch";
import { when } from "../format";
import type { Health as HealthData } from "../types";

/** Severity at a glance, after the FT's health page: red while anything is injected, green when clear. */
export function Health({ health }: { health: HealthData | null }) {
  if (!health) return <p class="muted">Loading…</p>;
  const faults = health.activeFaults.filter((f) => f.kind !== "upstream");
  return (
    <section>
      <div
        class={`glance ${faults.length > 0 ? "bad" : health.running.length > 0 ? "live" : "good"}`}
        data-testid="glance"
      >
        <strong>
          {faults.length > 0
            ? `${faults.length} active fault${faults.length === 1 ? "" : "s"}`
            : health.running.length > 0
              ? `${health.running.length} run${health.running.length === 1 ? "" : "s"} in progress, no active fault`
              : "All clear: no active fault, nothing running"}
        </strong>
        <KillSwitch active={faults.length} />
      </div>
      <h3>Active faults</h3>
      {faults.length === 0 ? (
        <p class="muted" data-testid="no-faults">
          None.
        </p>
      ) : (
        <table data-testid="active-faults">
          <tbody>
            {faults.map((f) => (
              <tr key={f.id} data-fault-id={f.id}>
                <td>
                  <span class="badge bad">{f.kind}</span>
                </td>
                <td>
                  {f.activity}
                  <div class="muted small">
                    {f.targets
                      .map((t) => `${t.kind} ${t.id} ${t.label === t.id ? "" : t.label}`.trim())
                      .join(", ")}
                  </div>
                </td>
                <td>
                  <a href={`#/runs/${f.runId}`}>{f.runId}</a>
                </td>
                <td class="num">since {when(f.injectedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Runs in progress</h3>
      {health.running.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul>
          {health.running.map((r) => (
            <li key={r.id}>
              <a href={`#/runs/${r.id}`}>{r.title}</a>{" "}
              <span class="muted">
                ({r.kind}, started {when(r.startedAt)})
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3>Rollouts in progress</h3>
      <ActiveRollouts rollouts={health.rollouts} />
    </section>
  );
}
