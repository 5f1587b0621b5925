import type { Listener, RunEvent } from "../core/events.js";
import type { RawActivity } from "../core/experiment.js";
import { type FaultTimes, faultTimes } from "../core/incident-times.js";
import { type Outcome, stoppedOutcome } from "../core/run-outcome.js";
import type { GameDaySpec, GameDayStep } from "../documents/gameday.js";
import type { RunRecord } from "../engine/lifecycle.js";
import { type Check, defineRunKind, type KindResult, type RunScope } from "../engine/run-kind.js";
import type { SloPageCheck, Trip } from "../engine/stop-conditions.js";
import type { RunDetail, Store } from "../store/store.js";

/** What a game day asks of `run` (runs/run.ts) for each step. */
export interface StepRunOptions {
  store?: string | Store | false | undefined;
  signal?: AbortSignal | undefined;
  runId?: string | undefined;
  onEvent?: Listener | undefined;
}

export interface GameDayOptions {
  /** Where the steps' runs are recorded (the game day's own store). */
  store: string | Store | false;
  /** Judges an SLO's page alert (the CLI wires the metric sources in). */
  sloPage: SloPageCheck;
  /** The error budget an SLO file's objectives lost between two times (the CLI wires the metric sources in). */
  sloBudget: (file: string, fromMs: number, toMs: number) => Promise<BudgetUse[]>;
  /**
   * Runs one step as its own recorded run: `run` of runs/run.ts, handed in by the caller (the run kind
   * registry lists this kind, so it cannot import the registry back).
   */
  runStep: (document: string | Record<string, unknown>, opts: StepRunOptions) => Promise<RunRecord>;
}

/** How much of an objective's error budget (of its whole period) the game day consumed. */
export interface BudgetUse {
  slo: string;
  objective: string;
  /** The share of the period's budget: 0.02 is 2 %. */
  consumed: number;
  badEvents: number;
}

/** One step as it ran: its own run, and how it ended. */
export interface StepResult {
  step: number;
  name: string;
  source: string;
  childRunId?: string | undefined;
  outcome: Outcome | "not-started";
  reason: string;
  times: FaultTimes[];
}

/** What a game day stores at its end (reports read it with the events). */
export interface GameDayResult {
  title: string;
  announcedFor?: string | undefined;
  participants?: GameDaySpec["participants"];
  hypothesis?: string | undefined;
  rollbackPlan?: string | undefined;
  intervalMs: number;
  stopConditions: string[];
  steps: StepResult[];
  hypothesisBefore?: boolean | undefined;
  hypothesisAfter?: boolean | undefined;
  budgets?: BudgetUse[] | undefined;
  tripped?:
    | (Trip & {
        /** From the trip to the revert of the last thing held; absent when nothing was held. */
        revertedMs?: number | undefined;
        allReverted: boolean;
        /** What was held when it tripped (faults, load, rollout); empty: nothing to revert. */
        held?: string[] | undefined;
      })
    | undefined;
}

/** How long the stop took to revert what the tripped step held: its faults, its load, its rollout. */
export interface StopRevert {
  held: string[];
  revertedMs?: number | undefined;
  allReverted: boolean;
}

/**
 * Stop-to-reverted, from the tripped step's own events: the time from the trip to the revert of the last
 * thing it held then (a fault's or flag flip's revert, a rollout's end, a load's end). Waiting for an
 * activity that holds nothing (a `sleep`) is not reverting: with nothing held there is no number.
 */
export function stopToReverted(events: readonly RunEvent[], tripTs: string, kind: string): StopRevert {
  const trip = Date.parse(tripTs);
  const before = (e: RunEvent) => Date.parse(e.ts) < trip;
  const injected = new Set(events.flatMap((e) => (e.type === "fault-injected" ? [e.faultId] : [])));
  const revertedAt = new Map<string, RunEvent>();
  for (const e of events)
    if (e.type === "fault-reverted" && !revertedAt.has(e.faultId)) revertedAt.set(e.faultId, e);
  const allReverted = [...injected].every((id) => revertedAt.has(id));
  const finished = events.find((e) => e.type === "run-finished");
  const ends: RunEvent[] = [];
  const held: string[] = [];
  for (const e of events) {
    if (e.type !== "fault-injected" || !before(e)) continue;
    const undone = revertedAt.get(e.faultId);
    if (undone && before(undone)) continue;
    held.push(`fault ${e.kind} (${e.activity})`);
    const end = undone ?? finished;
    if (end) ends.push(end);
  }
  const startedBefore = events.some((e) => e.type === "run-started" && before(e));
  const finishedBefore = finished !== undefined && before(finished);
  if (startedBefore && !finishedBefore) {
    const rolling = events.filter((e) => e.type === "rollout-weight" && before(e)).at(-1);
    if (kind === "rollout" || (rolling?.type === "rollout-weight" && rolling.weight > 0)) {
      held.push("rollout");
      const end = events.find((e) => e.type === "rollout-finished" && !before(e)) ?? finished;
      if (end) ends.push(end);
    }
    if (kind === "load" || events.some((e) => e.type === "load-window" && before(e))) {
      held.push("load");
      if (finished) ends.push(finished);
    }
  }
  if (held.length === 0) return { held, allReverted };
  const last = Math.max(...ends.map((e) => Date.parse(e.ts)));
  return { held, allReverted, revertedMs: ends.length ? Math.max(0, last - trip) : undefined };
}

/** Child events that belong on the game day's timeline too (its detectors and its faults). */
const FORWARDED = new Set<RunEvent["type"]>([
  "fault-injected",
  "fault-reverted",
  "hypothesis-checked",
  "activity-finished",
  "rollout-weight",
  "rollout-finished",
  "warning",
]);

function stepSource(step: GameDayStep): string {
  return step.file ?? "inline experiment";
}

/** The plan, as `--dry-run` prints it. */
export async function describeGameDay(spec: GameDaySpec): Promise<string[]> {
  const { describeCondition } = await import("../engine/stop-conditions.js");
  const p = spec.participants;
  return [
    `game day "${spec.title}"${spec.announcedFor ? ` announced for ${spec.announcedFor}` : ""}`,
    ...(p
      ? [
          `  owner (decides halts): ${p.owner}${p.coordinator ? `; coordinator: ${p.coordinator}` : ""}${p.reporter ? `; reporter: ${p.reporter}` : ""}${p.observers.length ? `; observers: ${p.observers.join(", ")}` : ""}`,
        ]
      : []),
    ...(spec.hypothesis ? [`  hypothesis: ${spec.hypothesis}`] : []),
    ...(spec.steadyState
      ? [
          `  steady state "${spec.steadyState.title}": ${spec.steadyState.probes.length} probes before and after`,
        ]
      : []),
    "steps (each its own run, in order):",
    ...spec.steps.map((s, i) => `  ${i + 1}. ${s.name} (${stepSource(s)})`),
    `stop conditions (evaluated every ${spec.intervalMs / 1000}s; one trip stops the step in progress, reverts everything and skips the rest):`,
    ...(spec.stopConditions.length
      ? spec.stopConditions.map((c) => `  - ${describeCondition(c)}`)
      : ["  (none: only withstand halt stops it)"]),
    ...(spec.rollbackPlan ? [`rollback plan: ${spec.rollbackPlan}`] : []),
  ];
}

async function checkProbes(
  probes: readonly RawActivity[],
  phase: "hypothesis-before" | "hypothesis-after",
  spec: GameDaySpec,
  scope: RunScope,
): Promise<boolean> {
  const { checkSteadyState } = await import("../engine/stop-conditions.js");
  return checkSteadyState(probes, {
    runId: scope.runId,
    bus: scope.bus,
    file: spec.file,
    phase,
    title: spec.steadyState?.title ?? "",
    signal: scope.signal,
  });
}

async function execute(
  spec: GameDaySpec,
  scope: RunScope,
  options: Partial<GameDayOptions>,
): Promise<KindResult> {
  const started = Date.now();
  const base: GameDayResult = {
    title: spec.title,
    announcedFor: spec.announcedFor,
    participants: spec.participants,
    hypothesis: spec.hypothesis,
    rollbackPlan: spec.rollbackPlan,
    intervalMs: spec.intervalMs,
    stopConditions: spec.stopConditions.map((c) => c.name),
    steps: [],
  };
  if (scope.dryRun)
    return { outcome: "held", reason: "dry run", result: { ...base, plan: await describeGameDay(spec) } };
  const run = options.runStep;
  if (!run) throw new Error("a game day needs options.runStep (runs/run.ts run) to run its steps");
  const [{ watchStopConditions }, { newRunId }, { watchNotes }] = await Promise.all([
    import("../engine/stop-conditions.js"),
    import("../engine/session.js"),
    import("../engine/notes.js"),
  ]);
  const timeline: RunEvent[] = [];
  scope.bus.on((e) => {
    if (e.runId === scope.runId) timeline.push(e);
  });
  const now = () => new Date().toISOString();
  // The one lever: the session's stop (halt, Ctrl-C, deadline) and a tripped stop condition both pull it.
  const lever = new AbortController();
  const follow = () => lever.abort(scope.signal.reason);
  if (scope.signal.aborted) follow();
  else scope.signal.addEventListener("abort", follow, { once: true });
  scope.defer(() => scope.signal.removeEventListener("abort", follow));

  // Observers' notes (`withstand gameday note`) land on the timeline until the run ends.
  const notesDone = new AbortController();
  const notes = watchNotes(scope.runId, notesDone.signal, (n) =>
    scope.emit({ type: "note", runId: scope.runId, ts: n.ts, text: n.text, author: n.author, tag: n.tag }),
  );
  scope.defer(async () => {
    notesDone.abort();
    await notes;
  });

  const probes = spec.steadyState?.probes ?? [];
  if (probes.length > 0) {
    base.hypothesisBefore = await checkProbes(probes, "hypothesis-before", spec, scope);
    if (!base.hypothesisBefore && !scope.signal.aborted)
      return {
        outcome: "hypothesis-unmet-before-method",
        reason: "the steady state was not met before the first step: nothing was run",
        result: base,
        durationMs: Date.now() - started,
      };
  }

  let trip: Trip | undefined;
  const stopWatching = new AbortController();
  const watching = watchStopConditions(spec.stopConditions, {
    runId: scope.runId,
    bus: scope.bus,
    file: spec.file,
    intervalMs: spec.intervalMs,
    signal: AbortSignal.any([lever.signal, stopWatching.signal]),
    sloPage: options.sloPage,
    onTrip(t) {
      trip = t;
      scope.emit({
        type: "stop-condition-tripped",
        runId: scope.runId,
        ts: t.ts,
        condition: t.condition,
        value: t.value,
      });
      // The step's run reverts its faults, stops its load, aborts its rollout to stable.
      lever.abort("halted");
    },
  });

  // A step stopped by a tripped condition says so (its own run records the stop as a halt: the same lever).
  const stepReason = (reason: string) =>
    trip ? `stopped by stop condition ${(trip as Trip).condition} (its run: ${reason})` : reason;
  let deviated = false;
  let tripChild: RunEvent[] | undefined;
  let tripKind = "";
  try {
    for (const [i, step] of spec.steps.entries()) {
      if (lever.signal.aborted) {
        base.steps.push({
          step: i + 1,
          name: step.name,
          source: stepSource(step),
          outcome: "not-started",
          reason: "a stop came before it",
          times: [],
        });
        continue;
      }
      const childRunId = newRunId();
      const childEvents: RunEvent[] = [];
      scope.emit({
        type: "step-started",
        runId: scope.runId,
        ts: now(),
        step: i + 1,
        of: spec.steps.length,
        name: step.name,
        source: stepSource(step),
        childRunId,
      });
      const document = step.file ?? {
        apiVersion: "withstand/v1",
        kind: "Experiment",
        metadata: { name: step.name },
        spec: { title: step.name, ...step.experiment },
      };
      const record = await run(document, {
        store: options.store,
        signal: lever.signal,
        runId: childRunId,
        onEvent: (e) => {
          childEvents.push(e);
          if (FORWARDED.has(e.type)) scope.emit({ ...e, runId: scope.runId });
        },
      });
      if (trip && !tripChild) {
        tripChild = childEvents;
        tripKind = record.kind;
      }
      if (record.deviated) deviated = true;
      scope.emit({
        type: "step-finished",
        runId: scope.runId,
        ts: now(),
        step: i + 1,
        name: step.name,
        childRunId,
        outcome: record.outcome,
        reason: stepReason(record.reason),
      });
      base.steps.push({
        step: i + 1,
        name: step.name,
        source: stepSource(step),
        childRunId,
        outcome: record.outcome,
        reason: stepReason(record.reason),
        times: faultTimes(timeline.filter((e) => e.ts >= (childEvents[0]?.ts ?? ""))),
      });
    }
  } finally {
    stopWatching.abort();
    await watching;
  }

  if (trip) {
    const t = trip as Trip;
    const stop = stopToReverted(tripChild ?? [], t.ts, tripKind);
    base.tripped = { ...t, revertedMs: stop.revertedMs, allReverted: stop.allReverted, held: stop.held };
    scope.emit({
      type: "stop-reverted",
      runId: scope.runId,
      ts: now(),
      condition: t.condition,
      revertedMs: stop.revertedMs ?? -1,
      held: stop.held,
    });
  }
  const sloFiles = [...new Set(spec.stopConditions.flatMap((c) => (c.kind === "slo" ? [c.file] : [])))];
  if (options.sloBudget && sloFiles.length > 0) {
    const budget = options.sloBudget;
    base.budgets = (
      await Promise.all(sloFiles.map((f) => budget(f, started, Date.now()).catch(() => [])))
    ).flat();
  }
  if (probes.length > 0 && !scope.signal.aborted) {
    base.hypothesisAfter = await checkProbes(probes, "hypothesis-after", spec, scope);
    if (!base.hypothesisAfter) deviated = true;
  }
  const durationMs = Date.now() - started;
  if (trip)
    return {
      outcome: "stopped",
      reason: `stop condition ${trip.condition} tripped (${trip.value}); ${revertedText(base.tripped)}`,
      result: base,
      durationMs,
    };
  if (scope.signal.aborted)
    return {
      outcome: stoppedOutcome(scope.signal.reason),
      reason: `stopped: ${String(scope.signal.reason)}`,
      result: base,
      durationMs,
    };
  return {
    outcome: deviated ? "deviated" : "held",
    reason: deviated
      ? `a step deviated or the steady state was not met after the steps`
      : `all ${spec.steps.length} steps held`,
    result: base,
    durationMs,
  };
}

/** What the stop reverted, in words: "everything reverted 120 ms later", or that nothing was held. */
export function revertedText(t: GameDayResult["tripped"]): string {
  if (t?.held !== undefined && t.held.length === 0)
    return "nothing to revert (no fault, load or rollout was held)";
  return `everything reverted${t?.revertedMs !== undefined ? ` ${t.revertedMs} ms later` : ""}`;
}

function gameDayChecks(run: RunDetail): Check[] {
  const r = run.result as GameDayResult | null;
  return [
    ...(r?.steps ?? []).map((s) => ({
      suite: "steps",
      name: `${s.step}. ${s.name}`,
      ok: s.outcome === "held" || s.outcome === "passed" || s.outcome === "promoted",
      message: `${s.outcome}: ${s.reason}`,
      seconds: 0,
    })),
    ...(r?.tripped
      ? [
          {
            suite: "stop conditions",
            name: r.tripped.condition,
            ok: false,
            message: `tripped (${r.tripped.value}); ${revertedText(r.tripped)}`,
            seconds: (r.tripped.revertedMs ?? 0) / 1000,
          },
        ]
      : []),
  ];
}

/** A game day (`kind: GameDay`): steps run as their own runs under one stop lever. */
export const gameDayKind = defineRunKind<GameDaySpec, GameDayOptions>({
  name: "gameday",
  documentKinds: ["GameDay"],
  outcomes: [
    "held",
    "deviated",
    "stopped",
    "hypothesis-unmet-before-method",
    "interrupted",
    "halted",
    "deadline",
    "invalid",
    "crashed",
  ],
  dryRuns: true,
  load: async (file) => (await import("../documents/gameday.js")).loadGameDayFile(file),
  header: (spec) => ({ title: spec.title, source: spec.file }),
  execute,
  view: { label: "game days", checks: gameDayChecks },
});
