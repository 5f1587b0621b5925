import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import type { Instant, Span } from "../types";

/** uPlot loads with the first chart, so the run list (the first page) never waits for it. */
const loadUplot = () =>
  Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([m]) => m.default);

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

interface Props {
  title: string;
  /** Milliseconds since the epoch. */
  times: number[];
  series: ChartSeries[];
  spans?: Span[];
  instants?: Instant[];
  percent?: boolean;
  unit?: string;
  /** Fallback end for a span that is still active. */
  end?: number;
  stepped?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/**
 * A uPlot time-series chart. Faults are drawn as shaded bands and hypothesis checks or analyses as
 * dashed lines, as DOM elements over the plot, so each one carries a tooltip (and tests can see them).
 */
export function Chart({
  title,
  times,
  series,
  spans = [],
  instants = [],
  percent,
  unit = "",
  end,
  stepped,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let plot: uPlot | undefined;
    let resize: ResizeObserver | undefined;
    let cancelled = false;
    const drawMarkers = (u: uPlot) => {
      for (const old of u.over.querySelectorAll(".fault-marker, .instant-marker")) old.remove();
      for (const s of spans) {
        const x1 = u.valToPos(s.from / 1000, "x");
        const x2 = Math.min(u.over.clientWidth, u.valToPos((s.to ?? end ?? Date.now()) / 1000, "x"));
        const m = document.createElement("div");
        m.className = `fault-marker${s.to === undefined ? " active" : ""}`;
        m.dataset.faultId = s.id;
        m.style.left = `${Math.max(0, x1)}px`;
        m.style.width = `${Math.max(3, x2 - Math.max(0, x1))}px`;
        m.title = `${s.kind} ${s.activity}${s.targets.length ? ` → ${s.targets.join(", ")}` : ""}\n${s.to === undefined ? "ACTIVE" : `reverted: ${s.how ?? ""}`}`;
        const label = document.createElement("span");
        label.textContent = s.kind;
        m.append(label);
        u.over.append(m);
      }
      const width = u.over.clientWidth;
      for (const i of instants) {
        const x = u.valToPos(i.t / 1000, "x");
        if (x < 0 || x > width) continue;
        const m = document.createElement("div");
        m.className = `instant-marker ${i.ok === false ? "bad" : "good"}`;
        m.style.left = `${x}px`;
        m.title = i.label;
        u.over.append(m);
      }
    };
    const fmt = (v: number | null) =>
      v === null ? "—" : percent ? `${(v * 100).toFixed(2)}%` : `${Number(v.toPrecision(3))}${unit}`;
    void loadUplot().then((UPlot) => {
      if (cancelled) return;
      const steppedPaths = UPlot.paths.stepped?.({ align: 1 });
      const opts: uPlot.Options = {
        title,
        width: Math.max(320, el.clientWidth),
        height: 220,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.6,
            value: (_u: uPlot, v: number | null) => fmt(v),
            ...(stepped && steppedPaths ? { paths: steppedPaths } : {}),
          })),
        ],
        axes: [
          { stroke: cssVar("--muted"), grid: { stroke: cssVar("--line") } },
          {
            stroke: cssVar("--muted"),
            grid: { stroke: cssVar("--line") },
            size: 60,
            values: (_u, vals) => vals.map((v) => fmt(v)),
          },
        ],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(max, percent ? 0.01 : 1)] } },
        hooks: { draw: [drawMarkers] },
        cursor: { drag: { x: true, y: false } },
      };
      const data: uPlot.AlignedData = [times.map((t) => t / 1000), ...series.map((s) => s.values)];
      const p = new UPlot(opts, data, el);
      plot = p;
      resize = new ResizeObserver(() => p.setSize({ width: Math.max(320, el.clientWidth), height: 220 }));
      resize.observe(el);
    });
    return () => {
      cancelled = true;
      resize?.disconnect();
      plot?.destroy();
    };
  }, [title, times, series, spans, instants, percent, unit, end, stepped]);
  return <div class="chart" ref={host} data-chart={title} />;
}
