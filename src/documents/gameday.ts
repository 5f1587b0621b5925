import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { AnomalyCheck } from "../core/anomaly.js";
import type { RawActivity } from "../core/experiment.js";
import { parseActivity } from "./activity.js";
import { type AnomalyCheckInput, anomalyCheckOf } from "./anomaly-check.js";
import { detectKind } from "./detect.js";
import type { Diagnostic } from "./diagnostic.js";
import { hasErrors } from "./diagnostic.js";
import { durationField, durationMs } from "./duration-field.js";
import { check, isRecord, openNative, type Reporter, scoped } from "./reporter.js";
import { GAMEDAY_SPEC } from "./schemas.js";
import { loadFirstDocument, type Path, parseSource, positionOf, type SourceDoc } from "./source.js";

/** A game day's stop condition, read: one lever over everything its steps run. */
export type StopCondition =
  | { kind: "probe"; name: string; probe: RawActivity }
  | { kind: "slo"; name: string; file: string; alert: "page" | "ticket" }
  | { kind: "prometheus"; name: string; url: string; expr: string }
  | { kind: "anomaly"; name: string; check: AnomalyCheck };

/** One step: a document file (absolute) or an inline native experiment's spec. */
export interface GameDayStep {
  name: string;
  file?: string | undefined;
  experiment?: Record<string, unknown> | undefined;
}

export interface GameDayParticipants {
  owner: string;
  coordinator?: string | undefined;
  reporter?: string | undefined;
  observers: string[];
}

export interface GameDaySpec {
  title: string;
  announcedFor?: string | undefined;
  participants?: GameDayParticipants | undefined;
  hypothesis?: string | undefined;
  steadyState?: { title: string; probes: RawActivity[] } | undefined;
  steps: GameDayStep[];
  rollbackPlan?: string | undefined;
  stopConditions: StopCondition[];
  intervalMs: number;
  file: string;
}

/** The kinds of document a step may run (each a run kind). */
const STEP_KINDS = ["Experiment", "LoadTest", "Rollout", "Synthetic"];

function probeAt(src: SourceDoc, path: Path, raw: unknown, r: Reporter): RawActivity | undefined {
  const { line, col } = positionOf(src, path);
  const loc = `${src.file}:${line}:${col}`;
  const activity = parseActivity(raw, scoped(r, path), { native: true, role: "hypothesis", loc });
  if (!activity || !isRecord(raw)) return undefined;
  if (activity.type !== "probe") {
    r.error([...path, "type"], 'got "action" (expected "probe": a game day watches, it does not act)');
    return undefined;
  }
  return { raw, loc };
}

/** What a step file is, from its content: a run kind's document, or a diagnostic at the step. */
function checkStepFile(file: string, at: Path, r: Reporter): void {
  if (!existsSync(file)) {
    r.error(at, `${file} does not exist (expected a path relative to the game day file)`);
    return;
  }
  let value: unknown;
  try {
    value = parseSource(file, readFileSync(file, "utf8")).docs[0]?.value;
  } catch {
    value = undefined;
  }
  const kind = detectKind(value);
  const name = kind.kind === "native" ? kind.nativeKind : kind.kind === "ctk-experiment" ? "Experiment" : "";
  if (!STEP_KINDS.includes(name))
    r.error(
      at,
      `${file} is ${name ? `a ${name}` : "not a document withstand runs"} (expected a step of kind ${STEP_KINDS.join(", ")} or a Chaos Toolkit experiment)`,
    );
}

/** A file a stop condition or a steady-state probe names must exist when the game day is read. */
function checkNamedFile(file: string, at: Path, what: string, r: Reporter): boolean {
  if (existsSync(file)) return true;
  r.error(at, `${file} does not exist (expected ${what}, relative to the game day file)`);
  return false;
}

/** An SLO stop condition's file: there, and an OpenSLO document with an SLO in it. */
function checkSloFile(file: string, at: Path, r: Reporter): void {
  if (!checkNamedFile(file, at, "an OpenSLO file", r)) return;
  let docs: unknown[] = [];
  try {
    docs = parseSource(file, readFileSync(file, "utf8")).docs.map((d) => d.value);
  } catch {
    docs = [];
  }
  const slo = docs.some((d) => isRecord(d) && d.apiVersion === "openslo/v1" && d.kind === "SLO");
  if (!slo) r.error(at, `${file} has no OpenSLO SLO (expected apiVersion: openslo/v1, kind: SLO)`);
}

/** The files a probe's provider names (a Gossfile, a Synthetic, pact files): each must exist. */
function checkProbeFiles(raw: unknown, at: Path, dir: string, r: Reporter): void {
  const provider = isRecord(raw) ? raw.provider : undefined;
  if (!isRecord(provider)) return;
  const abs = (f: string) => (isAbsolute(f) ? f : resolve(dir, f));
  if (provider.type === "goss" && typeof provider.file === "string" && provider.file)
    checkNamedFile(abs(provider.file), [...at, "provider", "file"], "a Gossfile", r);
  if (provider.type === "synthetic" && typeof provider.file === "string" && provider.file) {
    const file = abs(provider.file);
    if (checkNamedFile(file, [...at, "provider", "file"], "a Synthetic file", r)) {
      let value: unknown;
      try {
        value = parseSource(file, readFileSync(file, "utf8")).docs[0]?.value;
      } catch {
        value = undefined;
      }
      const kind = detectKind(value);
      if (kind.kind !== "native" || kind.nativeKind !== "Synthetic")
        r.error([...at, "provider", "file"], `${file} is not a Synthetic (expected kind: Synthetic)`);
    }
  }
  if (provider.type === "pact") {
    const pacts = typeof provider.pact === "string" ? [provider.pact] : provider.pact;
    if (Array.isArray(pacts))
      pacts.forEach((f, j) => {
        if (typeof f !== "string" || !f || /^https?:/i.test(f)) return;
        const path =
          typeof provider.pact === "string" ? [...at, "provider", "pact"] : [...at, "provider", "pact", j];
        checkNamedFile(abs(f), path, "a pact file or URL", r);
      });
  }
}

/**
 * The checks that read files or compare fields, on the document as written: they run even when its
 * structure has problems, so `validate` reports every problem at once rather than in rounds.
 */
function checkAcross(spec: Record<string, unknown>, dir: string, r: Reporter): void {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  list(spec.steps).forEach((s, i) => {
    if (isRecord(s) && typeof s.file === "string" && s.file && !("experiment" in s))
      checkStepFile(isAbsolute(s.file) ? s.file : resolve(dir, s.file), ["spec", "steps", i, "file"], r);
  });
  list(spec.stopConditions).forEach((c, i) => {
    if (!isRecord(c)) return;
    if (typeof c.slo === "string" && c.slo)
      checkSloFile(isAbsolute(c.slo) ? c.slo : resolve(dir, c.slo), ["spec", "stopConditions", i, "slo"], r);
    else checkProbeFiles(c, ["spec", "stopConditions", i], dir, r);
  });
  const steady = spec["steady-state-hypothesis"];
  if (isRecord(steady))
    list(steady.probes).forEach((p, i) => {
      checkProbeFiles(p, ["spec", "steady-state-hypothesis", "probes", i], dir, r);
    });
  const interval = durationField.safeParse(spec.interval);
  if (interval.success && durationMs(interval.data) <= 0)
    r.error(["spec", "interval"], "must be more than 0 (the evaluation interval)");
  if (typeof spec.announcedFor === "string" && Number.isNaN(Date.parse(spec.announcedFor)))
    r.error(
      ["spec", "announcedFor"],
      `got ${JSON.stringify(spec.announcedFor)} (expected a time such as 2026-12-07T14:00:00Z)`,
    );
}

/** Reads a `kind: GameDay` document; every problem is a diagnostic at file:line:col. */
export function readGameDay(src: SourceDoc): { spec?: GameDaySpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "GameDay");
  if (!top) return { diagnostics };
  const dir = dirname(src.file);
  const spec = check(GAMEDAY_SPEC, top.spec, ["spec"], r);
  if (isRecord(top.spec)) checkAcross(top.spec, dir, r);
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  const steady = spec["steady-state-hypothesis"];
  const probes = (steady?.probes ?? []).flatMap(
    (p, i) => probeAt(src, ["spec", "steady-state-hypothesis", "probes", i], p, r) ?? [],
  );
  const stopConditions: StopCondition[] = (spec.stopConditions ?? []).flatMap((c, i): StopCondition[] => {
    if (isRecord(c) && typeof c.slo === "string")
      return [
        {
          kind: "slo",
          name: typeof c.name === "string" ? c.name : `slo ${c.slo} ${c.alert ?? "page"} alert`,
          file: isAbsolute(c.slo) ? c.slo : resolve(dir, c.slo),
          alert: c.alert === "ticket" ? "ticket" : "page",
        },
      ];
    if (isRecord(c) && typeof c.prometheus === "string" && typeof c.expr === "string")
      return [
        {
          kind: "prometheus",
          name: typeof c.name === "string" ? c.name : c.expr,
          url: c.prometheus,
          expr: c.expr,
        },
      ];
    if (isRecord(c) && isRecord(c.anomaly)) {
      const check = anomalyCheckOf(c.anomaly as AnomalyCheckInput);
      const name = typeof c.name === "string" ? c.name : `anomaly in ${check.query}`;
      return [{ kind: "anomaly", name, check }];
    }
    const probe = probeAt(src, ["spec", "stopConditions", i], c, r);
    const name = isRecord(c) && typeof c.name === "string" ? c.name : `condition ${i + 1}`;
    return probe ? [{ kind: "probe", name, probe }] : [];
  });
  // An inline experiment runs as its own document, so it keeps its text as written (the schema's
  // output has durations in milliseconds under other keys, which the document's reader refuses).
  const rawSteps = isRecord(top.spec) && Array.isArray(top.spec.steps) ? (top.spec.steps as unknown[]) : [];
  const steps: GameDayStep[] = spec.steps.map((s, i) => {
    if ("file" in s) {
      const file = isAbsolute(s.file) ? s.file : resolve(dir, s.file);
      return { name: s.name ?? s.file, file };
    }
    const title = typeof s.experiment.title === "string" ? s.experiment.title : `step ${i + 1}`;
    const raw = rawSteps[i];
    const experiment = isRecord(raw) && isRecord(raw.experiment) ? raw.experiment : s.experiment;
    return { name: s.name ?? title, experiment: experiment as Record<string, unknown> };
  });
  const interval = spec.interval === undefined ? 5000 : durationMs(spec.interval);
  if (hasErrors(diagnostics)) return { diagnostics };
  return {
    spec: {
      title: spec.title,
      announcedFor: spec.announcedFor,
      participants: spec.participants && {
        ...spec.participants,
        observers: spec.participants.observers ?? [],
      },
      hypothesis: spec.hypothesis,
      steadyState: steady && { title: steady.title, probes },
      steps,
      rollbackPlan: spec.rollbackPlan,
      stopConditions,
      intervalMs: interval,
      file: src.file,
    },
    diagnostics,
  };
}

export function loadGameDayFile(file: string): Promise<{ spec?: GameDaySpec; diagnostics: Diagnostic[] }> {
  return loadFirstDocument(file, "GameDay", readGameDay);
}
