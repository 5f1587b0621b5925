import { formatDuration } from "../core/duration.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import {
  type CitedRun,
  type Mitigation,
  measuredTimes,
  type Provenance,
  type RiskFigure,
  type RiskInput,
  rankRisks,
  type WhatIf,
  whatIf,
} from "../core/risk.js";
import { mdText } from "../core/untrusted.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFiles } from "../documents/openslo.js";
import { loadRiskCatalogFile, parseLongDuration, type RiskSpec, shareOf } from "../documents/risk-catalog.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { failUsage } from "./fail.js";
import { markdownAsText } from "./output.js";

export interface RiskFlags {
  slo?: string[];
  limit?: string;
  mitigate?: string[];
  format?: string;
  store?: string;
}

function parseMitigation(text: string): { risk: string; label: string; m: Mitigation } {
  const m = /^(.+?)=(canary|detect|repair):(.+)$/.exec(text);
  if (!m) return failUsage(`--mitigate ${text}: expected RISK=canary:5%, RISK=detect:2m or RISK=repair:10m`);
  const [, risk = "", kind, value = ""] = m;
  if (kind === "canary") {
    const share = /^\d+(\.\d+)?%$/.test(value) ? shareOf(value) : Number.NaN;
    if (!(share >= 0 && share <= 1)) failUsage(`--mitigate ${text}: expected a canary share such as 5%`);
    return { risk, label: `${kind}:${value}`, m: { kind: "canary", share } };
  }
  const ms = parseLongDuration(value);
  if (ms === undefined) return failUsage(`--mitigate ${text}: expected a duration such as 2m`);
  return { risk, label: `${kind}:${value}`, m: { kind: kind as "detect" | "repair", minutes: ms / 60_000 } };
}

/** The runs a risk cites: by id, every run of a title, every run of a game day (by its title). */
async function citedRuns(store: Store, r: RiskSpec): Promise<CitedRun[]> {
  if (!r.evidence) return [];
  const ev = r.evidence;
  const byTitle = async (title: string, kind?: string) =>
    Promise.all(
      (await store.listRuns({ search: title, limit: 500, ...(kind ? { kind } : {}) }))
        .filter((s) => s.title === title)
        .map((s) => store.getRun(s.id)),
    );
  const found = [
    ...(await Promise.all(
      ev.runs.map(async (id) => {
        const run = await store.getRun(id);
        if (!run) failUsage(`${r.name}: evidence.runs: no stored run ${id} (withstand runs lists them)`);
        return run;
      }),
    )),
    ...(ev.title ? await byTitle(ev.title) : []),
    ...(await Promise.all(ev.gamedays.map((t) => byTitle(t, "gameday")))).flat(),
  ].filter((x) => x !== undefined);
  const seen = new Set<string>();
  return found
    .filter((x) => !seen.has(x.id) && seen.add(x.id))
    .map((x) => ({ id: x.id, kind: x.kind, title: x.title, startedAt: x.startedAt, events: x.events }));
}

const minutes = (m: number) => formatDuration(m * 60_000);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function figureOf(p: Provenance | undefined, value: number, now: number): string {
  if (!p || p.kind === "guess") return `${minutes(value)} (guess)`;
  const days = Math.round((now - Date.parse(p.newest)) / 86_400_000);
  const missed = p.undetected ? `; ${p.undetected} never detected, so a lower bound` : "";
  return `${minutes(p.median)} median, ${minutes(p.worst)} worst (measured in ${p.runs} run${p.runs === 1 ? "" : "s"}, newest ${days} d old${missed})`;
}

function markdown(name: string, figures: RiskFigure[], whatIfs: WhatIf[], limit: number): string {
  const now = Date.now();
  const slos =
    figures[0]?.shares.map(
      (s) => `${mdText(s.slo)} (${(s.target * 100).toFixed(3).replace(/\.?0+$/, "")}%)`,
    ) ?? [];
  const lines = [
    `# Risk catalogue: ${mdText(name)}`,
    "",
    `| rank | risk | time to detect | time to repair | impact | every | bad minutes/year |${slos.map((s) => ` share of ${s} |`).join("")}`,
    `|---|---|---|---|---|---|---|${slos.map(() => "---").join("|")}${slos.length ? "|" : ""}`,
    ...figures.map(
      (f) =>
        `| ${f.rank} | ${mdText(f.name)} | ${figureOf(f.ttdFrom, f.ttdMin, now)} | ${figureOf(f.ttrFrom, f.ttrMin, now)} | ${pct(f.impact)} | ${f.tbfDays.toFixed(1)} d | ${f.badMinutesPerYear.toFixed(1)} |${f.shares.map((s) => ` ${pct(s.share)}${s.overLimit ? " ⚠" : ""} |`).join("")}`,
    ),
    "",
    `⚠ marks a risk above ${pct(limit)} of a yearly error budget.`,
  ];
  const cited = figures.filter((f) => f.cites !== undefined);
  if (cited.length) {
    lines.push("", "## Evidence", "");
    for (const f of cited) {
      if (!f.cites?.length) {
        lines.push(`- **${mdText(f.name)}** cites runs, but none injected its fault: its times are guesses`);
        continue;
      }
      lines.push(`- **${mdText(f.name)}** is priced by:`);
      for (const c of f.cites)
        for (const x of c.faults)
          lines.push(
            `  - ${c.kind} "${mdText(c.title)}" (${c.runId}, ${c.startedAt.slice(0, 16).replace("T", " ")}): ${mdText(x.kind)} ${mdText(x.activity)}: detected in ${x.detectMin === undefined ? "never" : minutes(x.detectMin)}, recovered in ${x.recoverMin === undefined ? "n/a" : minutes(x.recoverMin)}`,
          );
    }
  }
  if (whatIfs.length) {
    lines.push(
      "",
      "## What if",
      "",
      "| risk | mitigation | bad minutes/year before | after | saved |",
      "|---|---|---|---|---|",
    );
    for (const w of whatIfs)
      lines.push(
        `| ${mdText(w.risk)} | ${mdText(w.mitigation)} | ${w.before.toFixed(1)} | ${w.after.toFixed(1)} | ${w.saved.toFixed(1)} |`,
      );
  }
  return `${lines.join("\n")}\n`;
}

/** `withstand risk FILE --slo slo.yaml`: each risk priced in error budget, stack-ranked, with what-ifs. */
export async function riskCommand(file: string, flags: RiskFlags): Promise<ExitCode> {
  const format = flags.format ?? "text";
  if (!["text", "json", "md"].includes(format)) failUsage(`--format ${format}: expected text, json or md`);
  const loaded = await loadRiskCatalogFile(file);
  const slos = flags.slo?.length ? await loadOpenSloFiles(flags.slo) : { slos: [], diagnostics: [] };
  const diagnostics = [...loaded.diagnostics, ...slos.diagnostics];
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(diagnostics) || !("spec" in loaded) || !loaded.spec) return EXIT.invalid;
  const spec = loaded.spec;
  const limit = flags.limit
    ? shareOf(/%$/.test(flags.limit) ? flags.limit : Number(flags.limit))
    : spec.budgetShareLimit;
  if (!(limit > 0 && limit <= 1)) failUsage(`--limit ${flags.limit}: expected a share such as 25%`);
  const mitigations = (flags.mitigate ?? []).map(parseMitigation);
  for (const m of mitigations)
    if (!spec.risks.some((r) => r.name === m.risk))
      failUsage(
        `--mitigate ${m.risk}=${m.label}: no risk named ${m.risk} (expected one of ${spec.risks.map((r) => r.name).join(", ")})`,
      );
  const cites = spec.risks.some((r) => r.evidence);
  const store = cites ? openStore(flags.store) : undefined;
  let inputs: RiskInput[];
  try {
    inputs = await Promise.all(
      spec.risks.map(async (r) => {
        const m = store ? measuredTimes(await citedRuns(store, r), r.evidence?.fault) : { cites: [] };
        return {
          name: r.name,
          description: r.description,
          ttdMin: m.ttd?.kind === "measured" ? m.ttd.median : r.ttdMs / 60_000,
          ttrMin: m.ttr?.kind === "measured" ? m.ttr.median : r.ttrMs / 60_000,
          impact: r.impact,
          tbfDays: r.tbfMs / 86_400_000,
          ttdFrom: m.ttd ?? { kind: "guess" },
          ttrFrom: m.ttr ?? { kind: "guess" },
          ...(r.evidence ? { cites: m.cites } : {}),
        };
      }),
    );
  } finally {
    await store?.close();
  }
  const figures = rankRisks(
    inputs,
    slos.slos.flatMap((s) =>
      s.objectives.map((o) => ({
        name: o.displayName ? `${s.name}/${o.displayName}` : s.name,
        target: o.target,
      })),
    ),
    limit,
  );
  const whatIfs = mitigations.map((m) =>
    whatIf(inputs.find((r) => r.name === m.risk) as RiskInput, m.label, [m.m]),
  );
  if (format === "json")
    process.stdout.write(
      `${JSON.stringify({ catalog: spec.name, limit, risks: figures, whatIf: whatIfs }, null, 2)}\n`,
    );
  else if (format === "md") process.stdout.write(markdown(spec.name, figures, whatIfs, limit));
  else process.stdout.write(markdownAsText(markdown(spec.name, figures, whatIfs, limit)));
  // Risks over the limit are a finding, as a failed threshold is.
  return figures.some((f) => f.shares.some((s) => s.overLimit)) ? EXIT.failed : EXIT.ok;
}
