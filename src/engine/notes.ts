import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../core/sleep.js";
import { visibleControls } from "../core/untrusted.js";
import { stateDir } from "../safety/state.js";

/** An observer's note on its way to a running game day. */
export interface Note {
  ts: string;
  text: string;
  author: string;
  tag?: "good" | "bad" | "lucky" | "action" | undefined;
}

/**
 * A note as it is recorded: one line, its control characters (a terminal escape sequence, a carriage
 * return that rewrites the runner's line) as visible escapes, at intake (`gameday note`, the dashboard)
 * and again when the runner takes it (whatever else dropped a file in the inbox).
 */
export function cleanNote(n: Note): Note {
  return {
    ts: visibleControls(n.ts),
    text: visibleControls(n.text),
    author: visibleControls(n.author),
    ...(n.tag ? { tag: n.tag } : {}),
  };
}

/**
 * A running game day's inbox: the store has one writer per run (the runner), so `withstand gameday
 * note` drops each note here and the runner records it on its timeline, with the note's own time.
 */
export function inboxOf(runId: string, root = stateDir()): string {
  return join(root, "notes", runId.replace(/[^A-Za-z0-9-]/g, "_"));
}

/**
 * Drops a note in a running game day's inbox (written whole, then renamed: never read half-written) and
 * waits until the runner has taken it. False when no runner took it (the game day ended): it is removed.
 */
export async function postNote(runId: string, raw: Note, waitMs = 3000): Promise<boolean> {
  const note = cleanNote(raw);
  const dir = inboxOf(runId);
  if (!existsSync(dir)) return false;
  const name = `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const file = join(dir, `${name}.json`);
  try {
    writeFileSync(join(dir, `${name}.tmp`), JSON.stringify(note), { mode: 0o600 });
    renameSync(join(dir, `${name}.tmp`), file);
  } catch {
    return false;
  }
  const deadline = Date.now() + waitMs;
  const never = new AbortController().signal;
  while (existsSync(file) && Date.now() < deadline) await sleep(50, never);
  if (!existsSync(file)) return true;
  rmSync(file, { force: true });
  return false;
}

function drain(dir: string, onNote: (note: Note) => void): void {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch {
    return;
  }
  for (const f of files) {
    try {
      const n = JSON.parse(readFileSync(join(dir, f), "utf8")) as Note;
      rmSync(join(dir, f), { force: true });
      if (typeof n.text === "string" && typeof n.author === "string" && typeof n.ts === "string")
        onNote(cleanNote(n));
    } catch {
      // A note that cannot be read is skipped, never a reason to stop a game day.
    }
  }
}

/** Records the inbox's notes every 200 ms until `signal` aborts; then takes the last ones and removes it. */
export async function watchNotes(
  runId: string,
  signal: AbortSignal,
  onNote: (note: Note) => void,
): Promise<void> {
  const dir = inboxOf(runId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  while (!signal.aborted) {
    drain(dir, onNote);
    await sleep(200, signal);
  }
  drain(dir, onNote);
  rmSync(dir, { recursive: true, force: true });
}
