import { useEffect, useState } from "preact/hooks";
import { getJson, subscribe } from "../api";
import type { GroupView } from "../types";

/**
 * A load group's merged view (every generator's windows added exactly), beside one generator's run:
 * refreshed when any run writes a window, at most once a second.
 */
export function GroupPanel({ group }: { group: string }) {
  const [view, setView] = useState<GroupView | null>(null);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    getJson<GroupView>(`/api/groups/${encodeURIComponent(group)}`).then(setView, (e: Error) =>
      setError(e.message),
    );
  }, [group, tick]);
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribe((type) => {
      if (type !== "window" || pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        setTick((n) => n + 1);
      }, 1000);
    });
    return () => {
      clearTimeout(pending);
      unsubscribe();
    };
  }, [group]);
  if (error) return <p class="error">{error}</p>;
  if (!view) return null;
  const running = view.generators.filter((g) => g.status === "running").length;
  return (
    <section class="group" data-testid="group-panel">
      <h3>
        Group {view.group}: {view.generators.length} generators
        {running > 0 ? `, ${running} running` : ", all finished"}
      </h3>
      <p data-testid="group-merged">
        merged: {view.count} requests · errors {(view.errorRate * 100).toFixed(2)}% · p50{" "}
        {view.p50Ms.toFixed(2)} ms · p99 {view.p99Ms.toFixed(2)} ms · {view.windows} windows
      </p>
      <ul>
        {view.thresholds.map((t) => (
          <li key={`${t.submetric ?? t.metric} ${t.expression}`} class={t.ok ? "good" : "bad"}>
            {t.ok ? "✓" : "✗"} {t.submetric ?? t.metric} {t.expression}
          </li>
        ))}
      </ul>
      <ul class="muted">
        {view.generators.map((g) => (
          <li key={g.id}>
            <a href={`#/runs/${g.id}`}>{g.id}</a> {g.status}
            {g.outcome ? ` · ${g.outcome}` : ""}
          </li>
        ))}
      </ul>
    </section>
  );
}
