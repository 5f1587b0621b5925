import { formatDuration } from "../core/duration.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { faultTimes } from "../core/incident-times.js";
import {
  distribution,
  type Mitigation,
  type Provenance,
  type RiskFigure,
  type RiskInput,
  rankRisks,
  type WhatIf,
  whatIf,
} from "../core/risk.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFiles } from "../documents/openslo.js";
import { loadRiskCatalogFile, parseLongDuration, type RiskSpec, shareOf } from "../documents/risk-catalog.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { failUsage } from "./fail.js";

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

/** The detect and repair times the cited runs measured, as distributions with their dates. */
async function measured(
  store: Store,
  r: RiskSpec,
): Promise<{ ttd?: Provenance; ttr?: Provenance; ttdMin?: number; ttrMin?: number }> {
  if (!r.evidence) return {};
  const runs = [
    ...(await Promise.all(r.evidence.runs.map((id) => store.getRun(id)))),
    ...(r.evidence.title
      ? await Promise.all(
          (await store.listRuns({ search: r.evidence.title, limit: 200 }))
            .filter((s) => s.title === r.evidence?.title)
            .map((s) => store.getRun(s.id)),
        )
      : []),
  ].filter((x) => x !== undefined);
  const ttd: number[] = [];
  const ttr: number[] = [];
  const dates: string[] = [];
  for (const run of runs) {
    for (const f of faultTimes(run.events)) {
      if (f.detectMs !== undefined) ttd.push(f.detectMs / 60_000);
      if (f.recoverMs !== undefined) ttr.push(f.recoverMs / 60_000);
      dates.push(f.injectedAt);
    }
  }
  dates.sort();
  const prov = (xs: number[]): Provenance | undefined => {
    const d = distribution(xs);
    return d
      ? {
          kind: "measured",
          median: d.median,
          worst: d.worst,
          runs: runs.length,
          oldest: dates[0] ?? "",
          newest: dates.at(-1) ?? "",
        }
      : undefined;
  };
  const out: { ttd?: Provenance; ttr?: Provenance; ttdMin?: number; ttrMin?: number } = {};
  const pd = prov(ttd);
  const pr = prov(ttr);
  if (pd?.kind === "measured") Object.assign(out, { ttd: pd, ttdMin: pd.median });
  if (pr?.kind === "measured") Object.assign(out, { ttr: pr, ttrMin: pr.median });
  return out;
}

const minutes = (m: number) => formatDuration(m * 60_000);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function figureOf(p: Provenance | undefined, value: number, now: number): string {
  if (!p || p.kind === "guess") return `${minutes(value)} (guess)`;
  const days = Math.round((now - Date.parse(p.newest)) / 86_400_000);
  return `${minutes(p.median)} median, ${minutes(p.worst)} worst (measured in ${p.runs} run${p.runs === 1 ? "" : "s"}, newest ${days} d old)`;
}

function markdown(name: string, figures: RiskFigure[], whatIfs: WhatIf[], limit: number): string {
  const now = Date.now();
  const slos =
    figures[0]?.shares.map((s) => `${s.slo} (${(s.target * 100).toFixed(3).replace(/\.?0+$/, "")}%)`) ?? [];
  const lines = [
    `# Risk catalogue: ${name}`,
    "",
    `| rank | risk | time to detect | time to repair | impact | every | bad minutes/year | ${slos.map((s) => `share of ${s}`).join(" | ")} |`,
    `|---|---|---|---|---|---|---|${slos.map(() => "---").join("|")}${slos.length ? "|" : ""}`,
    ...figures.map(
      (f) =>
        `| ${f.rank} | ${f.name} | ${figureOf(f.ttdFrom, f.ttdMin, now)} | ${figureOf(f.ttrFrom, f.ttrMin, now)} | ${pct(f.impact)} | ${f.tbfDays.toFixed(1)} d | ${f.badMinutesPerYear.toFixed(1)} | ${f.shares.map((s) => `${pct(s.share)}${s.overLimit ? " ⚠" : ""}`).join(" | ")} |`,
    ),
    "",
    `⚠ marks a risk above ${pct(limit)} of a yearly error budget.`,
  ];
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
        `| ${w.risk} | ${w.mitigation} | ${w.before.toFixed(1)} | ${w.after.toFixed(1)} | ${w.saved.toFixed(1)} |`,
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
        const m = store ? await measured(store, r) : {};
        return {
          name: r.name,
          description: r.description,
          ttdMin: m.ttdMin ?? r.ttdMs / 60_000,
          ttrMin: m.ttrMin ?? r.ttrMs / 60_000,
          impact: r.impact,
          tbfDays: r.tbfMs / 86_400_000,
          ttdFrom: m.ttd ?? { kind: "guess" },
          ttrFrom: m.ttr ?? { kind: "guess" },
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
  else process.stdout.write(markdown(spec.name, figures, whatIfs, limit));
  // Risks over the limit are a finding, as a failed threshold is.
  return figures.some((f) => f.shares.some((s) => s.overLimit)) ? EXIT.failed : EXIT.ok;
}
