import { z } from "zod";
import { parseDuration } from "../core/duration.js";
import type { Diagnostic } from "./diagnostic.js";
import { hasErrors } from "./diagnostic.js";
import { check, isRecord, openNative } from "./reporter.js";
import { loadFirstDocument, type SourceDoc } from "./source.js";

/**
 * `kind: RiskCatalog`: the risks a service runs (Google CRE's risk catalogue), each with its expected
 * time to detect, time to repair, share of users affected and time between failures (or failures a
 * year). A risk may cite stored runs (game days, experiments) whose measured detect and repair times
 * then replace the guesses. One zod schema for `validate`, `withstand schema` and `withstand risk`.
 */
const UNIT: Record<string, number> = { w: 7 * 86_400_000, y: 365.25 * 86_400_000 };

/** Durations as elsewhere, plus weeks and years (a time between failures is often months). */
export function parseLongDuration(v: unknown): number | undefined {
  if (typeof v === "string") {
    const m = /^(\d+(?:\.\d+)?)(w|y)$/.exec(v.trim());
    if (m) return Number(m[1]) * (UNIT[m[2] as string] as number);
  }
  return parseDuration(v);
}

const longDuration = z
  .union([z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d|w|y))+$|^\d+(\.\d+)?$/), z.number().positive()])
  .refine(
    (v) => (parseLongDuration(v) ?? 0) > 0,
    "expected a positive duration such as 30m, 2h, 90d, 2w or 1y",
  );

const share = z
  .union([z.string().regex(/^\d+(\.\d+)?%$/), z.number().min(0).max(1)])
  .refine((v) => typeof v === "number" || Number.parseFloat(v) <= 100, "expected a share: 0..1 or 0%..100%");

const risk = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    ttd: longDuration.describe("expected time to detect"),
    ttr: longDuration.describe("expected time to repair once detected"),
    impact: share.describe("share of users affected while it lasts"),
    tbf: longDuration.optional().describe("expected time between failures"),
    frequency: z.number().positive().optional().describe("failures a year (instead of tbf)"),
    evidence: z
      .object({
        runs: z
          .array(z.string().min(1))
          .default([])
          .describe("run ids (or unique prefixes) that measured it"),
        title: z.string().optional().describe("every stored run with this title (a game day, an experiment)"),
        gamedays: z
          .array(z.string().min(1))
          .default([])
          .describe("game days (their titles) whose every run measured it"),
        fault: z
          .string()
          .min(1)
          .optional()
          .describe("only injections of this fault kind or activity name (a game day injects several)"),
      })
      .strict()
      .optional(),
  })
  .strict();

export const RISK_CATALOG_SPEC = z
  .object({
    budgetShareLimit: share.default(0.25).describe("flag a single risk above this share of a yearly budget"),
    risks: z.array(risk).min(1),
  })
  .strict();

export function shareOf(v: string | number): number {
  return typeof v === "number" ? v : Number.parseFloat(v) / 100;
}

export interface RiskSpec {
  name: string;
  description?: string | undefined;
  ttdMs: number;
  ttrMs: number;
  impact: number;
  tbfMs: number;
  evidence?:
    | { runs: string[]; title?: string | undefined; gamedays: string[]; fault?: string | undefined }
    | undefined;
}

export interface RiskCatalogSpec {
  name: string;
  source: string;
  budgetShareLimit: number;
  risks: RiskSpec[];
}

export function readRiskCatalog(src: SourceDoc): { spec?: RiskCatalogSpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "RiskCatalog");
  if (!top) return { diagnostics };
  const name = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "";
  if (!name) r.error(["metadata", "name"], "is required (the catalogue's name)");
  const spec = check(RISK_CATALOG_SPEC, top.spec, ["spec"], r);
  // The checks across fields run on the risks as written, with the field checks: every problem at once.
  const written = isRecord(top.spec) && Array.isArray(top.spec.risks) ? (top.spec.risks as unknown[]) : [];
  const names = new Set<string>();
  written.forEach((k, i) => {
    if (!isRecord(k)) return;
    if ((k.tbf === undefined) === (k.frequency === undefined))
      r.error(["spec", "risks", i], "give either tbf (time between failures) or frequency (failures a year)");
    if (typeof k.name !== "string") return;
    if (names.has(k.name)) r.error(["spec", "risks", i, "name"], `a risk named ${k.name} comes earlier`);
    names.add(k.name);
  });
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  return {
    spec: {
      name,
      source: src.file,
      budgetShareLimit: shareOf(spec.budgetShareLimit),
      risks: spec.risks.map((k) => ({
        name: k.name,
        description: k.description,
        ttdMs: parseLongDuration(k.ttd) as number,
        ttrMs: parseLongDuration(k.ttr) as number,
        impact: shareOf(k.impact),
        tbfMs:
          k.tbf !== undefined
            ? (parseLongDuration(k.tbf) as number)
            : (365.25 * 86_400_000) / (k.frequency as number),
        evidence: k.evidence,
      })),
    },
    diagnostics,
  };
}

export function loadRiskCatalogFile(
  file: string,
): Promise<{ spec?: RiskCatalogSpec; diagnostics: Diagnostic[] }> {
  return loadFirstDocument(file, "RiskCatalog", readRiskCatalog);
}
