import { useState } from "preact/hooks";
import { postJson } from "../api";

const KINDS = [
  ["", "observation"],
  ["good", "went well"],
  ["bad", "went wrong"],
  ["lucky", "got lucky"],
  ["action", "action item"],
] as const;

/**
 * An observer's note on a running game day (as `withstand gameday note`): it goes to the runner with
 * the page's token and lands on the run's timeline with its time and author.
 */
export function GameDayNote({ runId }: { runId: string }) {
  const [author, setAuthor] = useState(() => localStorage.getItem("withstand-observer") ?? "");
  const [text, setText] = useState("");
  const [kind, setKind] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState("");
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    try {
      localStorage.setItem("withstand-observer", author);
      const r = await postJson<{ ts: string }>(`/api/runs/${encodeURIComponent(runId)}/notes`, {
        author,
        text,
        ...(kind ? { kind } : {}),
      });
      setText("");
      setResult(`Noted at ${r.ts.slice(11, 19)}.`);
    } catch (err) {
      setResult(`Not noted: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="note-box" data-testid="note-box" onSubmit={submit}>
      <h3>Observer note</h3>
      <input
        aria-label="author"
        placeholder="your name"
        required
        maxLength={100}
        value={author}
        onInput={(e) => setAuthor((e.target as HTMLInputElement).value)}
      />
      <select aria-label="kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
        {KINDS.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
      </select>
      <textarea
        aria-label="note"
        placeholder="what you saw, e.g. the p99 alert fired late"
        required
        maxLength={2000}
        rows={2}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <button type="submit" disabled={busy || !author.trim() || !text.trim()}>
        Add note
      </button>
      {result && (
        <output class="muted small" data-testid="note-result">
          {result}
        </output>
      )}
    </form>
  );
}
