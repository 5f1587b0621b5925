/**
 * A dependency-free SVG line chart for self-contained reports: lines, shaded fault spans and instant
 * markers, on a shared time axis. It opens from a file anywhere; no script, no CDN.
 */
export interface ChartLine {
  name: string;
  color: string;
  points: [number, number][];
}

export interface ChartSpan {
  from: number;
  to: number;
  label: string;
}

export interface ChartOptions {
  title: string;
  unit: string;
  lines: ChartLine[];
  spans?: ChartSpan[];
  instants?: { t: number; label: string; ok?: boolean | undefined }[];
  from: number;
  to: number;
  width?: number;
  height?: number;
  /** Percentages: the axis goes to at least 1%, and values are shown × 100. */
  percent?: boolean;
}

export const escapeXml = (s: string): string =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function niceMax(v: number): number {
  if (v <= 0 || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 760;
  const H = o.height ?? 220;
  const L = 56;
  const R = 12;
  const T = 26;
  const B = 28;
  const span = Math.max(1, o.to - o.from);
  const values = o.lines.flatMap((l) => l.points.map(([, v]) => v));
  const maxV = niceMax(Math.max(o.percent ? 0.01 : 0, ...values.filter(Number.isFinite)));
  const x = (t: number) => L + ((t - o.from) / span) * (W - L - R);
  const y = (v: number) => T + (1 - Math.min(v, maxV) / maxV) * (H - T - B);
  const fmtV = (v: number) => (o.percent ? `${+(v * 100).toFixed(2)}%` : `${+v.toPrecision(3)}${o.unit}`);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}" class="chart">`,
    `<text x="${L}" y="16" class="chart-title">${escapeXml(o.title)}</text>`,
  ];
  for (const s of o.spans ?? []) {
    const x1 = x(Math.max(o.from, s.from));
    const x2 = x(Math.min(o.to, s.to));
    parts.push(
      `<rect class="fault-span" x="${x1.toFixed(1)}" y="${T}" width="${Math.max(2, x2 - x1).toFixed(1)}" height="${H - T - B}"><title>${escapeXml(s.label)}</title></rect>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = (maxV * i) / 4;
    parts.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`,
      `<text class="axis" x="${L - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmtV(v)}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = o.from + (span * i) / 4;
    parts.push(
      `<text class="axis" x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle">+${((t - o.from) / 1000).toFixed(0)}s</text>`,
    );
  }
  for (const m of o.instants ?? []) {
    parts.push(
      `<line class="instant ${m.ok === false ? "bad" : "good"}" x1="${x(m.t).toFixed(1)}" x2="${x(m.t).toFixed(1)}" y1="${T}" y2="${H - B}"><title>${escapeXml(m.label)}</title></line>`,
    );
  }
  o.lines.forEach((l, i) => {
    if (l.points.length === 0) return;
    const d = l.points
      .map(([t, v], j) => `${j === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`)
      .join("");
    parts.push(
      `<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.6"><title>${escapeXml(l.name)}</title></path>`,
    );
    parts.push(
      `<text class="legend" x="${W - R - 150 * (o.lines.length - i)}" y="16" fill="${l.color}">■ ${escapeXml(l.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
