import type { RunEvent } from "../core/events.js";
import { faultTimes } from "../core/incident-times.js";
import { escapeXml } from "../core/svg-chart.js";
import { mdText, mdUnescape } from "../core/untrusted.js";
import type { GameDayResult } from "../runs/gameday.js";
import type { RunDetail } from "../store/store.js";

/** One action item from an observer's note tagged `action`. */
export interface ActionItem {
  title: string;
  author: string;
  ts: string;
  run: string;
  gameDay: string;
}

type Note = Extract<RunEvent, { type: "note" }>;

const notesOf = (run: RunDetail, tag?: Note["tag"]): Note[] =>
  run.events.filter((e): e is Note => e.type === "note" && (tag === undefined || e.tag === tag));

export function actionItems(run: RunDetail): ActionItem[] {
  return notesOf(run, "action").map((n) => ({
    title: n.text,
    author: n.author,
    ts: n.ts,
    run: run.id,
    gameDay: run.title,
  }));
}

/** Action items as a Markdown checklist (paste into an issue) or JSON (an issue tracker's import). */
export function actionsText(run: RunDetail, format: "md" | "json"): string {
  const items = actionItems(run);
  if (format === "json") return `${JSON.stringify({ gameDay: run.title, run: run.id, items }, null, 2)}\n`;
  return `${items.map((i) => `- [ ] ${mdText(i.title)} (${mdText(i.author)}, ${mdText(i.ts)})`).join("\n")}${items.length ? "\n" : ""}`;
}

const ms = (v: number | undefined) => (v === undefined ? "-" : `${Math.round(v)} ms`);

/** The timeline's lines: what happened when, from the run's start. */
function timeline(run: RunDetail): { at: string; what: string; kind: string }[] {
  const t0 = Date.parse(run.startedAt);
  const at = (ts: string) => `+${((Date.parse(ts) - t0) / 1000).toFixed(1)}s`;
  return run.events.flatMap((e) => {
    const line = (what: string, kind: string) => [{ at: at(e.ts), what, kind }];
    switch (e.type) {
      case "step-started":
        return line(`step ${e.step}/${e.of} ${e.name} started (run ${e.childRunId})`, "step");
      case "step-finished":
        return line(`step ${e.step} ${e.name} ended: ${e.outcome} (${e.reason})`, "step");
      case "fault-injected":
        return line(`fault ${e.kind} injected by ${e.activity} on ${e.targets.join(", ") || "-"}`, "fault");
      case "fault-reverted":
        return line(`fault ${e.kind} reverted: ${e.how}`, "revert");
      case "stop-condition-tripped":
        return line(`stop condition ${e.condition} tripped: ${e.value}`, "stop");
      case "stop-reverted":
        return line(
          e.held?.length === 0
            ? `${e.condition} tripped with nothing to revert (no fault, load or rollout was held)`
            : `everything reverted ${e.revertedMs} ms after ${e.condition} tripped`,
          "stop",
        );
      case "hypothesis-checked":
        return line(`steady state ${e.met ? "met" : "not met"} (${e.phase})`, e.met ? "ok" : "bad");
      case "note":
        return line(`note by ${e.author}${e.tag ? ` [${e.tag}]` : ""}: ${e.text}`, "note");
      default:
        return [];
    }
  });
}

interface Sections {
  result: GameDayResult | null;
  held: (v: boolean | undefined) => string;
  times: ReturnType<typeof faultTimes>;
}

function sections(run: RunDetail): Sections {
  return {
    result: run.result as GameDayResult | null,
    held: (v) => (v === undefined ? "not checked" : v ? "held" : "not met"),
    times: faultTimes(run.events),
  };
}

/** A game day's postmortem in Markdown. */
export function gameDayMarkdown(run: RunDetail): string {
  const { result: r, held, times } = sections(run);
  const p = r?.participants;
  const notes = (tag: Note["tag"]) => {
    const ns = notesOf(run, tag);
    return ns.length ? ns.map((n) => `- ${mdText(n.text)} (${mdText(n.author)})`).join("\n") : "- (no notes)";
  };
  return `# Game day: ${mdText(run.title)}

**${(run.outcome ?? run.status).toUpperCase()}**: ${mdText(run.events.findLast((e) => e.type === "run-finished")?.reason ?? "")}

| | |
|---|---|
| run | ${run.id} |
| announced for | ${mdText(r?.announcedFor ?? "-")} |
| started | ${run.startedAt} |
| duration | ${run.durationMs !== null ? `${(run.durationMs / 1000).toFixed(1)} s` : "running"} |
| owner | ${mdText(p?.owner ?? "-")} |
| coordinator | ${mdText(p?.coordinator ?? "-")} |
| reporter | ${mdText(p?.reporter ?? "-")} |
| observers | ${mdText(p?.observers.join(", ") || "-")} |

## Hypothesis

${mdText(r?.hypothesis ?? "(none written)")}

- steady state before the steps: ${held(r?.hypothesisBefore)}
- steady state after the steps: ${held(r?.hypothesisAfter)}

## Steps

| # | step | run | outcome | reason |
|---|---|---|---|---|
${(r?.steps ?? []).map((s) => `| ${s.step} | ${mdText(s.name)} | ${s.childRunId ?? "-"} | ${s.outcome} | ${mdText(s.reason)} |`).join("\n")}

## Stop conditions

Evaluated every ${((r?.intervalMs ?? 0) / 1000).toFixed(1)} s: ${mdText((r?.stopConditions ?? []).join(", ") || "(none)")}.

${r?.tripped ? `**${mdText(r.tripped.condition)} tripped** at ${r.tripped.ts} (value: ${mdText(r.tripped.value)}); ${r.tripped.held?.length === 0 ? "nothing to revert (no fault, load or rollout was held)" : `everything reverted **${ms(r.tripped.revertedMs)}** later`}${r.tripped.allReverted ? "" : " (NOT every fault was reverted)"}.` : "No stop condition tripped."}

## Error budget consumed

${r?.budgets?.length ? `| SLO | objective | budget consumed | bad events |\n|---|---|---|---|\n${r.budgets.map((b) => `| ${mdText(b.slo)} | ${mdText(b.objective)} | ${(b.consumed * 100).toFixed(2)} % | ${b.badEvents} |`).join("\n")}` : "(no SLO given in the stop conditions)"}

## Detect and recover

| fault | activity | injected | time to detect | time to recover |
|---|---|---|---|---|
${times.map((t) => `| ${mdText(t.kind)} | ${mdText(t.activity)} | ${t.injectedAt} | ${ms(t.detectMs)} | ${ms(t.recoverMs)} |`).join("\n")}

## Timeline

| at | what |
|---|---|
${timeline(run)
  .map((l) => `| ${l.at} | ${mdText(l.what)} |`)
  .join("\n")}

## What went well

${notes("good")}

## What went wrong

${notes("bad")}

## Where we got lucky

${notes("lucky")}

## Action items

${actionsText(run, "md") || "- (none)\n"}
## Rollback plan

${mdText(r?.rollbackPlan ?? "(none written)")}
`;
}

const KIND_COLOR: Record<string, string> = {
  step: "#2563eb",
  fault: "#d97706",
  revert: "#059669",
  stop: "#dc2626",
  ok: "#059669",
  bad: "#dc2626",
  note: "#7c3aed",
};

/** The timeline as an inline SVG: the steps as bars, every other event as a marker. */
function timelineSvg(run: RunDetail): string {
  const t0 = Date.parse(run.startedAt);
  const end = Math.max(t0 + 1, ...run.events.map((e) => Date.parse(e.ts)));
  const W = 760;
  const x = (ts: string) => 20 + ((Date.parse(ts) - t0) / (end - t0)) * (W - 40);
  const starts = run.events.filter((e) => e.type === "step-started");
  const bars = starts.map((s, i) => {
    const fin = run.events.find(
      (e) => e.type === "step-finished" && s.type === "step-started" && e.step === s.step,
    );
    const x0 = x(s.ts);
    const x1 = fin ? x(fin.ts) : W - 20;
    const name = s.type === "step-started" ? `${s.step}. ${s.name}` : "";
    return `<rect x="${x0.toFixed(1)}" y="${20 + i * 22}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="16" fill="#bfdbfe"/><text x="${(x0 + 3).toFixed(1)}" y="${32 + i * 22}" font-size="11">${escapeXml(name)}</text>`;
  });
  const h = 30 + Math.max(1, starts.length) * 22 + 20;
  const marks = timeline(run)
    .map((l, i) => ({ l, e: run.events.filter((e) => timelineKinds.has(e.type))[i] }))
    .filter(({ l }) => l.kind !== "step")
    .map(({ l, e }) =>
      e
        ? `<line x1="${x(e.ts).toFixed(1)}" x2="${x(e.ts).toFixed(1)}" y1="10" y2="${h - 14}" stroke="${KIND_COLOR[l.kind] ?? "#666"}" stroke-width="1.5"><title>${escapeXml(`${l.at} ${l.what}`)}</title></line>`
        : "",
    );
  return `<svg class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-label="game day timeline" xmlns="http://www.w3.org/2000/svg">${bars.join("")}${marks.join("")}<text x="20" y="${h - 2}" font-size="11" fill="#666">0 s</text><text x="${W - 20}" y="${h - 2}" font-size="11" fill="#666" text-anchor="end">${((end - t0) / 1000).toFixed(1)} s</text></svg>`;
}

const timelineKinds = new Set<RunEvent["type"]>([
  "step-started",
  "step-finished",
  "fault-injected",
  "fault-reverted",
  "stop-condition-tripped",
  "stop-reverted",
  "hypothesis-checked",
  "note",
]);

/** Markdown's sections as HTML, for one self-contained page (no external assets, prints on A4). */
export function gameDayHtml(run: RunDetail): string {
  const md = gameDayMarkdown(run);
  const body: string[] = [];
  let table: string[][] = [];
  const flush = () => {
    if (table.length === 0) return;
    const [head, , ...rows] = table;
    body.push(
      `<table><tr>${(head ?? []).map((c) => `<th>${escapeXml(mdUnescape(c))}</th>`).join("")}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(mdUnescape(c))}</td>`).join("")}</tr>`).join("")}</table>`,
    );
    table = [];
  };
  const inline = (s: string) => escapeXml(mdUnescape(s)).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
  for (const line of md.split("\n")) {
    if (line.startsWith("|")) {
      table.push(
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((c) => c.trim()),
      );
      continue;
    }
    flush();
    if (line.startsWith("# ")) body.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith("## ")) {
      const title = line.slice(3);
      body.push(`<h2>${inline(title)}</h2>`);
      if (title === "Timeline") body.push(timelineSvg(run));
    } else if (line.startsWith("- [ ] ")) body.push(`<p>☐ ${inline(line.slice(6))}</p>`);
    else if (line.startsWith("- ")) body.push(`<p>• ${inline(line.slice(2))}</p>`);
    else if (line.trim()) body.push(`<p>${inline(line)}</p>`);
  }
  flush();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(run.title)} · withstand game day report</title><style>
body{font:14px/1.45 system-ui,sans-serif;color:#111;max-width:60rem;margin:1.5rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
.chart{width:100%;height:auto}h2{margin-top:1.5rem;break-after:avoid}tr{break-inside:avoid}
@page{size:A4;margin:15mm}@media print{body{margin:0;max-width:none}}
</style></head>
<body>
${body.join("\n")}
<p style="color:#666">Generated by withstand ${new Date().toISOString()}. This file is self-contained.</p>
</body></html>
`;
}
