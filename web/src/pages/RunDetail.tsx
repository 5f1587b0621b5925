import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson, subscribe } from "../api";
import { Badge } from "../components/Badge";
import { Chart, type ChartSeries } from "../components/Chart";
import { GameDayNote } from "../components/GameDayNote";
import { GroupPanel } from "../components/GroupPanel";
import { PactGate, PactRun } from "../components/PactResults";
import { duration, when } from "../format";
import type { ContractCheck, RunDetail as Detail, MetricVerdict, Point, RunEvent } from "../types";

const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

/** All series on one time axis: uPlot wants aligned columns, gaps are null. */
function align(series: Record<string, Point[]>) {
  const times = [...new Set(Object.values(series).flatMap((ps) => ps.map((p) => p.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = (ps: Point[], pick: (p: Point) => number) => {
    const values: (number | null)[] = times.map(() => null);
    for (const p of ps) values[index.get(p.t) ?? 0] = pick(p);
    return values;
  };
  return { times, column };
}

function eventLine(e: RunEvent): { text: string; tone: string } | undefined {
  const s = (k: string) => String(e[k] ?? "");
  switch (e.type) {
    case "hypothesis-checked":
      return { text: `hypothesis ${s("phase")}: ${e.met ? "met" : "NOT met"}`, tone: e.met ? "good" : "bad" };
    case "fault-injected":
      if (e.kind === "upstream")
        return {
          text: `${s("activity").replace(/^start/, "started")}: ${(e.targets as string[]).join(", ")}`,
          tone: "",
        };
      return {
        text: `fault injected: ${s("kind")} ${s("activity")} → ${(e.targets as string[]).join(", ")}`,
        tone: "warn",
      };
    case "fault-reverted":
      if (e.kind === "upstream")
        return { text: `${s("activity").replace(/^start/, "stopped")} (${s("how")})`, tone: "" };
      return { text: `fault reverted: ${s("kind")} ${s("activity")} (${s("how")})`, tone: "good" };
    case "activity-finished":
      return {
        text: `${s("phase")} ${s("name")}: ${s("status")}${e.toleranceMet === false ? ", tolerance not met" : ""}${e.detail ? ` — ${s("detail")}` : ""}`,
        tone: e.status === "succeeded" && e.toleranceMet !== false ? "" : "bad",
      };
    case "rollout-step":
      return { text: `step ${Number(e.step) + 1}/${s("of")}: ${s("description")}`, tone: "" };
    case "rollout-weight":
      return { text: `canary weight ${s("weight")}% (${s("reason")})`, tone: "" };
    case "rollout-paused":
      return { text: `paused: ${s("reason")}`, tone: "warn" };
    case "rollout-finished":
    case "run-finished":
      return { text: `finished: ${s("decision") || s("outcome")} — ${s("reason")}`, tone: "" };
    case "warning":
      return { text: `warning: ${s("message")}`, tone: "warn" };
    case "note":
      return { text: `note by ${s("author")}${e.tag ? ` [${s("tag")}]` : ""}: ${s("text")}`, tone: "" };
    case "step-started":
      return { text: `step ${s("step")}/${s("of")} ${s("name")} started`, tone: "" };
    case "step-finished":
      return { text: `step ${s("step")} ${s("name")}: ${s("outcome")} — ${s("reason")}`, tone: "" };
    case "stop-condition-tripped":
      return { text: `stop condition ${s("condition")} tripped: ${s("value")}`, tone: "bad" };
    case "stop-reverted":
      return Array.isArray(e.held) && e.held.length === 0
        ? { text: "nothing to revert (no fault, load or rollout was held)", tone: "good" }
        : { text: `everything reverted ${s("revertedMs")} ms after the trip`, tone: "good" };
    default:
      return undefined;
  }
}

export function RunDetail({ id }: { id: string }) {
  const [run, setRun] = useState<Detail | null>(null);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    getJson<Detail>(`/api/runs/${encodeURIComponent(id)}`).then(setRun, (e: Error) => setError(e.message));
  }, [id, tick]);
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribe((type, data) => {
      if (
        (type === "run-event" || type === "window") &&
        (data as { runId?: string }).runId === id &&
        !pending
      )
        pending = setTimeout(() => {
          pending = undefined;
          setTick((n) => n + 1);
        }, 300);
    });
    return () => {
      clearTimeout(pending);
      unsubscribe();
    };
  }, [id]);
  const charts = useMemo(() => {
    if (!run) return null;
    const t = run.timeline;
    const { times, column } = align(t.series);
    const entries = Object.entries(t.series);
    const latency: ChartSeries[] = entries.flatMap(([name, ps], i) => [
      {
        label: `${name} p99`,
        color: COLORS[(2 * i + 1) % COLORS.length] ?? "#888",
        values: column(ps, (p) => p.p99),
      },
      {
        label: `${name} p50`,
        color: COLORS[(2 * i) % COLORS.length] ?? "#888",
        values: column(ps, (p) => p.p50),
      },
    ]);
    const errors: ChartSeries[] = entries.map(([name, ps], i) => ({
      label: name,
      color: COLORS[(i + 1) % COLORS.length] ?? "#888",
      values: column(ps, (p) => p.errorRate),
    }));
    return { t, times, latency, errors, instants: [...t.checks, ...t.analyses] };
  }, [run]);
  if (error) return <p class="error">{error}</p>;
  if (!run || !charts) return <p class="muted">Loading…</p>;
  const reason = run.result?.withstand?.reason ?? run.result?.reason ?? "";
  const measurements = run.events.filter((e) => e.type === "rollout-measurement");
  const lines = run.events.flatMap((e) => {
    const l = eventLine(e);
    return l ? [{ ...l, t: Date.parse(e.ts) }] : [];
  });
  const t = charts.t;
  return (
    <section class="detail" data-testid="run-detail">
      <div class="head">
        <a href="#/" class="muted">
          ← runs
        </a>
        <h2>
          <Badge outcome={run.outcome} status={run.status} /> {run.title}
        </h2>
        <p class="muted">
          {run.kind} run {run.id} · {when(run.startedAt)} · {duration(run.durationMs)} · exit{" "}
          {run.exitCode ?? "—"} · {run.source}
        </p>
        {reason && <p class="reason">{reason}</p>}
        {run.group && <GroupPanel group={run.group} />}
        {run.kind === "gameday" && run.status === "running" && <GameDayNote runId={run.id} />}
        <p class="reports">
          Report:{" "}
          {(["html", "md", "junit", "json"] as const).map((f) => (
            <a
              key={f}
              href={`/api/runs/${run.id}/report?format=${f}`}
              target={f === "html" ? "_blank" : undefined}
            >
              {f}
            </a>
          ))}
        </p>
      </div>
      {charts.times.length > 0 ? (
        <div class="charts">
          <Chart
            title="Latency (ms)"
            times={charts.times}
            series={charts.latency}
            spans={t.faults}
            instants={charts.instants}
            unit="ms"
            end={t.end}
          />
          <Chart
            title="Error rate"
            times={charts.times}
            series={charts.errors}
            spans={t.faults}
            instants={charts.instants}
            percent
            end={t.end}
          />
        </div>
      ) : (
        <p class="muted">No traffic windows were recorded for this run.</p>
      )}
      {t.weights.length > 0 && (
        <Chart
          title="Canary weight (%)"
          times={[...t.weights.map((w) => w.t), t.end]}
          series={[
            {
              label: "canary weight",
              color: "#7c3aed",
              values: [...t.weights.map((w) => w.weight), t.weights.at(-1)?.weight ?? 0],
            },
          ]}
          instants={t.analyses}
          unit="%"
          stepped
        />
      )}
      <div class="columns">
        <div>
          <h3>Faults</h3>
          {t.faults.length === 0 ? (
            <p class="muted">No faults.</p>
          ) : (
            <table data-testid="faults">
              <tbody>
                {t.faults.map((f) => (
                  <tr key={f.id} data-fault-row={f.id} class={f.to === undefined ? "active" : "reverted"}>
                    <td>
                      <span class={`badge ${f.to === undefined ? "bad" : "good"}`}>
                        {f.to === undefined ? "active" : "reverted"}
                      </span>
                    </td>
                    <td>
                      {f.kind} {f.activity}
                      <div class="muted small">{f.targets.join(", ")}</div>
                    </td>
                    <td>
                      <div class="nowrap">
                        +{((f.from - t.start) / 1000).toFixed(1)}s
                        {f.to !== undefined ? ` → +${((f.to - t.start) / 1000).toFixed(1)}s` : ""}
                      </div>
                      {f.how && <div class="muted small wrap">{f.how}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <h3>Timeline</h3>
          <ol class="timeline">
            {lines.map((l, i) => (
              <li key={i} class={l.tone}>
                <span class="muted">+{((l.t - t.start) / 1000).toFixed(1)}s</span> {l.text}
              </li>
            ))}
          </ol>
        </div>
      </div>
      {run.kind === "pact" && <PactRun result={run.result} />}
      {measurements.length > 0 && (
        <div>
          <h3>Analyses</h3>
          {measurements.map((m, i) => (
            <div class={`analysis ${m.phase === "Successful" ? "good" : "bad"}`} key={i}>
              <strong>
                {Number(m.step) < 0 ? "background" : `step ${Number(m.step) + 1}`} #{Number(m.index) + 1}:{" "}
                {String(m.phase)}
                {m.score !== undefined ? ` · score ${String(m.score)}` : ""}
              </strong>
              <table>
                <tbody>
                  {(m.metrics as MetricVerdict[]).map((v) => (
                    <tr key={v.name}>
                      <td>{v.name}</td>
                      <td>
                        <span
                          class={`badge ${v.classification === "Pass" ? "good" : v.classification === "NoData" ? "warn" : "bad"}`}
                        >
                          {v.classification === "NoData" ? "NO DATA" : v.classification}
                        </span>
                        {v.critical ? " critical" : ""}
                      </td>
                      <td class="small">{v.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="muted small">{String(m.reason)}</p>
              {m.contract ? <PactGate contract={m.contract as ContractCheck} /> : null}
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
