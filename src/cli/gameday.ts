import type { RunEvent } from "../core/events.js";
import { EXIT } from "../core/exit-codes.js";
import { faultTimes } from "../core/incident-times.js";
import { distribution } from "../core/risk.js";
import { visibleControls } from "../core/untrusted.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadGameDayFile } from "../documents/gameday.js";
import { loadOpenSloFiles } from "../documents/openslo.js";
import { runLifecycle } from "../engine/lifecycle.js";
import { postNote } from "../engine/notes.js";
import type { Evaluation } from "../engine/stop-conditions.js";
import { sourceFor, storeReader } from "../metrics/index.js";
import { actionsText } from "../report/gameday.js";
import { describeGameDay, type GameDayOptions, type GameDayResult, gameDayKind } from "../runs/gameday.js";
import { run } from "../runs/run.js";
import { SERVICES } from "../services/index.js";
import { objectiveStatus } from "../slo/evaluate.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";
import { reportRecord } from "./store-failures.js";

export interface GameDayFlags {
  dryRun?: boolean;
  json?: boolean;
  store?: string;
  deadline?: string;
  author?: string;
  run?: string;
  kind?: string;
  format?: string;
}

/** An SLO file's page alerts, judged from the store's windows (as `slo status` does), now. */
export function sloPage(storePath: string | undefined): GameDayOptions["sloPage"] {
  return async (file, _signal, severity = "page"): Promise<Evaluation> => {
    const loaded = await loadOpenSloFiles([file]);
    if (hasErrors(loaded.diagnostics)) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("; "));
    const store = openStore(storePath);
    try {
      const reader = storeReader((series, from, to) => store.windowsBetween(series, from, to));
      const firing: string[] = [];
      for (const slo of loaded.slos) {
        const source = sourceFor(slo, reader);
        for (const objective of slo.objectives) {
          const s = await objectiveStatus(slo, objective, source, Date.now());
          for (const a of s.alerts)
            if (a.severity === severity && a.firing)
              firing.push(
                `${slo.name}: burn ${a.longBurn.toFixed(1)}x over ${a.long}, ${a.shortBurn.toFixed(1)}x over ${a.short}`,
              );
        }
      }
      return { tripped: firing.length > 0, value: firing.join("; ") || `no ${severity} alert firing` };
    } finally {
      await store.close();
    }
  };
}

/** The error budget each SLO file's objectives lost during the game day: its bad events over the budget of its period. */
export function sloBudget(storePath: string | undefined): GameDayOptions["sloBudget"] {
  return async (file, fromMs, toMs) => {
    const loaded = await loadOpenSloFiles([file]);
    if (hasErrors(loaded.diagnostics)) return [];
    const store = openStore(storePath);
    try {
      const reader = storeReader((series, from, to) => store.windowsBetween(series, from, to));
      const out: { slo: string; objective: string; consumed: number; badEvents: number }[] = [];
      for (const slo of loaded.slos) {
        const source = sourceFor(slo, reader);
        for (const objective of slo.objectives) {
          const during = await source.counts(objective, fromMs, toMs);
          const period = await source.counts(objective, toMs - slo.periodMs, toMs);
          const budget = (1 - objective.target) * period.total;
          const bad = during.total - during.good;
          out.push({
            slo: slo.name,
            objective: objective.displayName ?? "",
            consumed: budget > 0 ? bad / budget : bad > 0 ? 1 : 0,
            badEvents: bad,
          });
        }
      }
      return out;
    } finally {
      await store.close();
    }
  };
}

export function line(e: RunEvent): string | undefined {
  const t = e.ts.slice(11, 23);
  switch (e.type) {
    case "step-started":
      return `${t} step ${e.step}/${e.of} ${e.name} started (run ${e.childRunId})`;
    case "step-finished":
      return `${t} step ${e.step} ${e.name}: ${e.outcome} (${e.reason})`;
    case "fault-injected":
      return `${t}   fault ${e.kind} injected (${e.activity})`;
    case "fault-reverted":
      return `${t}   fault ${e.kind} reverted (${e.how})`;
    case "stop-condition-tripped":
      return `${t} STOP CONDITION ${e.condition} tripped: ${e.value}`;
    case "stop-reverted":
      return e.held?.length === 0
        ? `${t} nothing to revert (no fault, load or rollout was held at the trip)`
        : `${t} everything reverted ${e.revertedMs} ms after the trip`;
    case "note":
      return `${t} note by ${e.author}${e.tag ? ` [${e.tag}]` : ""}: ${e.text}`;
    case "hypothesis-checked":
      return `${t} steady state ${e.met ? "met" : "NOT met"} (${e.phase})`;
    case "warning":
      return `${t} warning: ${e.message}`;
    default:
      return undefined;
  }
}

/** `withstand gameday FILE`: the steps as runs under the stop conditions, live in the terminal. */
async function runGameDay(file: string, flags: GameDayFlags): Promise<number> {
  const loaded = await loadGameDayFile(file);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.spec || hasErrors(loaded.diagnostics)) return EXIT.invalid;
  if (flags.dryRun) {
    process.stdout.write(`${(await describeGameDay(loaded.spec)).map(visibleControls).join("\n")}\n`);
    return EXIT.ok;
  }
  let deadlineMs: number | undefined;
  if (flags.deadline !== undefined) {
    const { parseDuration } = await import("../core/duration.js");
    deadlineMs = parseDuration(flags.deadline);
    if (deadlineMs === undefined) failUsage(`--deadline ${flags.deadline}: expected a duration such as 30m`);
  }
  const record = await runLifecycle(gameDayKind, loaded.spec, {
    store: flags.store,
    signals: true,
    deadlineMs,
    listeners: [
      (e) => {
        if (flags.json) process.stdout.write(`${JSON.stringify(e)}\n`);
        else {
          const l = e.type === "run-started" ? `game day ${e.title} (run ${e.runId})` : line(e);
          // Titles, notes, probe answers are untrusted: their control characters are shown, never obeyed.
          if (l) process.stdout.write(`${visibleControls(l)}\n`);
        }
      },
    ],
    services: SERVICES,
    options: {
      store: flags.store,
      sloPage: sloPage(flags.store),
      sloBudget: sloBudget(flags.store),
      runStep: run,
    },
  });
  if (!flags.json)
    process.stdout.write(
      `${visibleControls(`${record.outcome.toUpperCase()}: ${record.reason} (run ${record.runId})`)}\n`,
    );
  return reportRecord(record);
}

/** `withstand gameday note TEXT`: a timestamped observation on the running (or given) game day. */
async function note(words: string[], flags: GameDayFlags): Promise<number> {
  const text = words.join(" ").trim();
  if (!text)
    failUsage('gameday note: expected the note\'s text, e.g. withstand gameday note "p99 alert fired late"');
  const tags = ["good", "bad", "lucky", "action"] as const;
  const tag = tags.find((t) => t === flags.kind);
  if (flags.kind !== undefined && !tag) failUsage(`--kind ${flags.kind}: expected one of ${tags.join(", ")}`);
  const store = openStore(flags.store);
  try {
    let runId: string | undefined;
    if (flags.run) {
      const r = await store.getRun(flags.run);
      if (r?.kind !== "gameday") failUsage(`--run ${flags.run}: no game day run with this id in the store`);
      if (r.status !== "running")
        failUsage(`--run ${flags.run}: this game day has ended (${r.status}); notes are taken while it runs`);
      runId = r.id;
    } else {
      const running = await store.listRuns({ kind: "gameday", status: "running", limit: 2 });
      if (running.length === 0)
        failUsage("gameday note: no game day is running (give --run ID for a finished one)");
      if (running.length > 1)
        failUsage(
          `gameday note: ${running.length} game days are running (give --run ID: ${running.map((r) => r.id).join(", ")})`,
        );
      runId = running[0]?.id;
    }
    if (!runId) return EXIT.invalid;
    const author = flags.author ?? process.env.USER ?? "observer";
    const ts = new Date().toISOString();
    // The runner is the run's one writer: it records the note on the timeline with this time.
    if (!(await postNote(runId, { ts, text, author, ...(tag ? { tag } : {}) })))
      failUsage(`gameday note: game day ${runId} is no longer running (its runner did not take the note)`);
    process.stdout.write(`noted on ${runId} at ${ts}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

const ms = (v: number | undefined) => (v === undefined ? "-" : `${Math.round(v)} ms`);

/** `withstand gameday times TITLE`: time to detect and to recover over every run of this game day. */
async function times(words: string[], flags: GameDayFlags): Promise<number> {
  const title = words.join(" ").trim();
  if (!title) failUsage("gameday times: expected the game day's title");
  const store = openStore(flags.store);
  try {
    const runs = (await store.listRuns({ kind: "gameday", search: title, limit: 1000 })).filter(
      (r) => r.title === title,
    );
    const detect: number[] = [];
    const recover: number[] = [];
    const reverted: number[] = [];
    let faults = 0;
    let nothingHeld = 0;
    for (const s of runs) {
      const r = await store.getRun(s.id);
      if (!r) continue;
      for (const t of faultTimes(r.events)) {
        faults++;
        if (t.detectMs !== undefined) detect.push(t.detectMs);
        if (t.recoverMs !== undefined) recover.push(t.recoverMs);
      }
      const tripped = (r.result as GameDayResult | null)?.tripped;
      // A trip with nothing held has no stop-to-reverted time (it is counted, not averaged in).
      if (tripped?.held?.length === 0) nothingHeld++;
      else if (tripped?.revertedMs !== undefined) reverted.push(tripped.revertedMs);
    }
    const out = {
      title,
      runs: runs.length,
      faults,
      detect: { ...distribution(detect), samples: detect.length, undetected: faults - detect.length },
      recover: { ...distribution(recover), samples: recover.length },
      stopToReverted: { ...distribution(reverted), samples: reverted.length, nothingHeld },
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      const row = (name: string, d: { median?: number; p90?: number; worst?: number; samples: number }) =>
        `  ${name.padEnd(18)} median ${ms(d.median)}, p90 ${ms(d.p90)}, worst ${ms(d.worst)} (${d.samples} samples)`;
      process.stdout.write(
        [
          `game day "${title}": ${runs.length} runs, ${faults} faults injected (${out.detect.undetected} never detected)`,
          row("time to detect", out.detect),
          row("time to recover", out.recover),
          `${row("stop to reverted", out.stopToReverted)}${nothingHeld ? `; ${nothingHeld} trips with nothing to revert` : ""}`,
          "",
        ].join("\n"),
      );
    }
    return runs.length === 0 ? EXIT.invalid : EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `withstand gameday actions RUN`: the action items noted during a game day, as a checklist or JSON. */
async function actions(rest: string[], flags: GameDayFlags): Promise<number> {
  const [id, extra] = rest;
  if (!id || extra !== undefined) failUsage("gameday actions: expected one game day run id");
  const format = flags.format ?? "md";
  if (format !== "md" && format !== "json") failUsage(`--format ${format}: expected md or json`);
  const store = openStore(flags.store);
  try {
    const r = await store.getRun(id);
    if (r?.kind !== "gameday") failUsage(`gameday actions: ${id} is not a game day run in the store`);
    process.stdout.write(actionsText(r, format));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `withstand gameday FILE | note TEXT | times TITLE | actions RUN`. */
export async function gameDayCommand(target: string, rest: string[], flags: GameDayFlags): Promise<number> {
  if (target === "note") return note(rest, flags);
  if (target === "actions") return actions(rest, flags);
  if (target === "times") return times(rest, flags);
  if (rest.length > 0) failUsage(`gameday: unexpected argument ${rest[0]} (expected one GameDay file)`);
  return runGameDay(target, flags);
}
