import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pc from "picocolors";
import type { RunEvent } from "../core/events.js";
import { startDemoSystem } from "../demo/system.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadGameDayFile } from "../documents/gameday.js";
import { runLifecycle } from "../engine/lifecycle.js";
import { type Note, postNote } from "../engine/notes.js";
import { renderReport } from "../report/report.js";
import { type GameDayResult, gameDayKind } from "../runs/gameday.js";
import { run } from "../runs/run.js";
import { SERVICES } from "../services/index.js";
import { openStore } from "../store/open.js";
import { parseStoreLocation } from "../store/url.js";
import { line, sloBudget, sloPage } from "./gameday.js";

export const DEMO_GAMEDAY = fileURLToPath(new URL("../../../examples/demo/gameday.yaml", import.meta.url));

/** What the observers note during the demo game day, at the start of each step. */
const NOTES: Record<number, Omit<Note, "ts">> = {
  1: {
    author: "dee",
    tag: "good",
    text: "latency on one replica's inventory is invisible through the load balancer: it retries elsewhere",
  },
  2: {
    author: "cy",
    tag: "action",
    text: "orders needs a fallback when inventory is unreachable everywhere (serve from a stock cache)",
  },
};

export interface DemoGameDayResult {
  /** held, stopped, ...: "stopped" is what the demo expects (the second step trips the stop condition). */
  outcome: string;
  runId: string;
  line: string;
  revertedMs?: number | undefined;
  reports: string[];
}

/** Where the demo writes the report: beside a SQLite store, else in the temporary directory. */
function reportDir(store: string | undefined): string {
  const loc = parseStoreLocation(store);
  return loc.kind === "sqlite" ? join(dirname(loc.path), "reports") : join(tmpdir(), "withstand-reports");
}

/**
 * `withstand demo --only gameday`: the bundled game day (examples/demo/gameday.yaml) on the demo
 * system. Three steps; the second cuts inventory off every replica, so the stop condition trips, every
 * fault is reverted (the time is printed) and the third never starts. Two observer notes are added while
 * it runs, and the report is written as Markdown and HTML.
 */
export async function demoGameDay(
  flags: { store?: string | undefined },
  say: (s: string) => void,
): Promise<DemoGameDayResult | undefined> {
  const system = await startDemoSystem();
  const work = mkdtempSync(join(tmpdir(), "withstand-gameday-"));
  try {
    say(`  load balancer ${system.lbUrl}, proxy API ${system.proxyApi}`);
    const file = join(work, "gameday.yaml");
    writeFileSync(
      file,
      readFileSync(DEMO_GAMEDAY, "utf8")
        .replaceAll("${lb_url}", system.lbUrl)
        .replaceAll("${proxy_api}", system.proxyApi),
    );
    const loaded = await loadGameDayFile(file);
    if (!loaded.spec || hasErrors(loaded.diagnostics)) {
      for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return undefined;
    }
    let runId = "";
    const noting: Promise<boolean>[] = [];
    const record = await runLifecycle(gameDayKind, loaded.spec, {
      store: flags.store,
      signals: true,
      listeners: [
        (e: RunEvent) => {
          if (e.type === "run-started" && !runId) runId = e.runId;
          if (e.runId !== runId) return;
          const l = line(e);
          if (l) say(`  ${l}`);
          const note = e.type === "step-started" ? NOTES[e.step] : undefined;
          // The observers write while the step runs; the runner puts each note on the timeline.
          if (note) noting.push(postNote(runId, { ...note, ts: new Date().toISOString() }));
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
    await Promise.all(noting);
    const tripped = (record.result as GameDayResult | null)?.tripped;
    const store = openStore(flags.store);
    const reports: string[] = [];
    try {
      const detail = await store.getRun(record.runId);
      if (detail) {
        const dir = reportDir(flags.store);
        mkdirSync(dir, { recursive: true });
        for (const format of ["md", "html"] as const) {
          const out = join(dir, `gameday-${record.runId}.${format}`);
          writeFileSync(out, renderReport(detail, format));
          reports.push(out);
        }
      }
    } finally {
      await store.close();
    }
    if (tripped)
      say(
        pc.bold(
          `  stop condition ${tripped.condition} tripped: everything reverted ${tripped.revertedMs ?? "?"} ms later (evaluated every ${loaded.spec.intervalMs} ms)`,
        ),
      );
    for (const r of reports) say(`  report: ${r}`);
    return {
      outcome: record.outcome,
      runId: record.runId,
      revertedMs: tripped?.revertedMs,
      reports,
      line: tripped
        ? `${record.outcome.toUpperCase()}: stop condition ${tripped.condition} tripped in step 2, everything reverted ${tripped.revertedMs ?? "?"} ms later, step 3 never started; report ${reports[1] ?? "not written"}`
        : `${record.outcome.toUpperCase()}: ${record.reason.slice(0, 160)}`,
    };
  } finally {
    await system.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
