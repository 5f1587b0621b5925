import { postNote } from "../engine/notes.js";
import type { Store } from "../store/store.js";

/** A note is a sentence or two: the dashboard box sends at most this many characters of text. */
export const MAX_NOTE_TEXT = 2000;
const TAGS = ["good", "bad", "lucky", "action"] as const;

/**
 * `POST /api/runs/:id/notes` (the dashboard's note box; the token guard is the server's): an
 * observer's note for a running game day, handed to its runner as `withstand gameday note` does, so it
 * lands on the run's timeline with the time it was written.
 */
export async function postRunNote(
  store: Store,
  runId: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = typeof body.text === "string" ? body.text.trim() : "";
  const author = typeof body.author === "string" ? body.author.trim() : "";
  if (!text || text.length > MAX_NOTE_TEXT)
    return { status: 400, body: { error: `text: expected the note, 1 to ${MAX_NOTE_TEXT} characters` } };
  if (!author || author.length > 100)
    return { status: 400, body: { error: "author: expected the observer's name (up to 100 characters)" } };
  const tag = TAGS.find((t) => t === body.kind);
  if (body.kind !== undefined && body.kind !== "" && !tag)
    return { status: 400, body: { error: `kind: expected one of ${TAGS.join(", ")}` } };
  const run = await store.getRun(runId);
  if (run?.kind !== "gameday") return { status: 404, body: { error: "no game day run with this id" } };
  if (run.status !== "running")
    return {
      status: 409,
      body: { error: `this game day has ended (${run.status}); notes are taken while it runs` },
    };
  const ts = new Date().toISOString();
  if (!(await postNote(run.id, { ts, text, author, ...(tag ? { tag } : {}) })))
    return { status: 409, body: { error: "the game day's runner did not take the note (it has ended)" } };
  return { status: 201, body: { runId: run.id, ts } };
}
