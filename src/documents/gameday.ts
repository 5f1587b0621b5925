import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { AnomalyCheck } from "../core/anomaly.js";
import type { RawActivity } from "../core/experiment.js";
import { parseActivity } from "./activity.js";
import { type AnomalyCheckInput, anomalyCheckOf } from "./anomaly-check.js";
import { detectKind } from "./detect.js";
import type { Diagnostic } from "./diagnostic.js";
import { hasErrors } from "./diagnostic.js";
import { durationMs } from "./duration-field.js";
import { check, isRecord, openNative, type Reporter, scoped } from "./reporter.js";
import { GAMEDAY_SPEC } from "./schemas.js";
import { loadFirstDocument, type Path, parseSource, positionOf, type SourceDoc } from "./source.js";

/** A game day's stop condition, read: one lever over everything its steps run. */
export type StopCondition =
  | { kind: "probe"; name: string; probe: RawActivity }
  | { kind: "slo"; name: string; file: string; alert: "page" }
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

/** Reads a `kind: GameDay` document; every problem is a diagnostic at file:line:col. */
export function readGameDay(src: SourceDoc): { spec?: GameDaySpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "GameDay");
  if (!top) return { diagnostics };
  const spec = check(GAMEDAY_SPEC, top.spec, ["spec"], r);
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  const dir = dirname(src.file);
  const steady = spec["steady-state-hypothesis"];
  const probes = (steady?.probes ?? []).flatMap(
    (p, i) => probeAt(src, ["spec", "steady-state-hypothesis", "probes", i], p, r) ?? [],
  );
  const stopConditions: StopCondition[] = (spec.stopConditions ?? []).flatMap((c, i): StopCondition[] => {
    if (isRecord(c) && typeof c.slo === "string")
      return [
        {
          kind: "slo",
          name: typeof c.name === "string" ? c.name : `slo ${c.slo} page alert`,
          file: isAbsolute(c.slo) ? c.slo : resolve(dir, c.slo),
          alert: "page",
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
      checkStepFile(file, ["spec", "steps", i, "file"], r);
      return { name: s.name ?? s.file, file };
    }
    const title = typeof s.experiment.title === "string" ? s.experiment.title : `step ${i + 1}`;
    const raw = rawSteps[i];
    const experiment = isRecord(raw) && isRecord(raw.experiment) ? raw.experiment : s.experiment;
    return { name: s.name ?? title, experiment: experiment as Record<string, unknown> };
  });
  const interval = spec.interval === undefined ? 5000 : durationMs(spec.interval);
  if (interval <= 0) r.error(["spec", "interval"], "must be more than 0 (the evaluation interval)");
  if (spec.announcedFor !== undefined && Number.isNaN(Date.parse(spec.announcedFor)))
    r.error(
      ["spec", "announcedFor"],
      `got ${JSON.stringify(spec.announcedFor)} (expected a time such as 2026-12-07T14:00:00Z)`,
    );
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
