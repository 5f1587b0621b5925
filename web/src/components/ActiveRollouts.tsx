import { pct } from "../format";
import type { RolloutStatus } from "../types";

/** Rollouts running now, from their live status: phase, step, weight and traffic per version. */
export function ActiveRollouts({ rollouts }: { rollouts: RolloutStatus[] }) {
  return rollouts.length === 0 ? (
    <p class="muted">None.</p>
  ) : (
    <table>
      <tbody>
        {rollouts.map((r) => (
          <tr key={r.name}>
            <td>
              <a href={`#/runs/${r.runId}`}>{r.name}</a>
            </td>
            <td>
              <span class={`badge ${r.phase === "Paused" ? "warn" : "live"}`}>{r.phase}</span>
            </td>
            <td>
              step {r.step + 1}/{r.steps.length}: {r.steps[r.step] ?? ""}
            </td>
            <td>canary {r.weight}%</td>
            <td class="small">
              stable {r.stable.requests} req (
              {r.stable.requests ? pct(r.stable.errors / r.stable.requests) : "—"} errors) · canary{" "}
              {r.canary.requests} req ({r.canary.requests ? pct(r.canary.errors / r.canary.requests) : "—"}{" "}
              errors)
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
