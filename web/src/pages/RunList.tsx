import { useEffect, useState } from "preact/hooks";
import { getJson, subscribe } from "../api";
import { Badge } from "../components/Badge";
import { duration, when } from "../format";
import type { RunSummary } from "../types";

const PAGE = 50;

export function RunList({ kind: fixedKind }: { kind?: string }) {
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [total, setTotal] = useState(0);
  const [kind, setKind] = useState(fixedKind ?? "");
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(0);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  // The run kinds come from the server's registry (GET /api/run-kinds), never a list in this file.
  const [kinds, setKinds] = useState<{ name: string; label: string }[]>([]);
  useEffect(() => {
    getJson<{ kinds: { name: string; label: string }[] }>("/api/run-kinds").then(
      (r) => setKinds(r.kinds),
      (err: Error) => setError(err.message),
    );
  }, []);
  useEffect(() => {
    const q = new URLSearchParams({ limit: String(PAGE), offset: String(page * PAGE) });
    if (kind) q.set("kind", kind);
    if (status) q.set("status", status);
    if (search) q.set("q", search);
    getJson<{ total: number; runs: RunSummary[] }>(`/api/runs?${q}`).then(
      (r) => {
        setRuns(r.runs);
        setTotal(r.total);
        setError("");
      },
      (err: Error) => setError(err.message),
    );
  }, [kind, status, search, page, tick]);
  useEffect(() => {
    // For bench/dashboard: when the first page really shows runs (not when a script thinks it did).
    if (runs && runs.length > 0 && performance.getEntriesByName("runs-rendered").length === 0)
      performance.mark("runs-rendered");
  }, [runs]);
  useEffect(
    () =>
      subscribe((type, data) => {
        const t = (data as { type?: string }).type;
        if (type === "run-event" && (t === "run-started" || t === "run-finished" || t === "rollout-finished"))
          setTick((n) => n + 1);
      }),
    [],
  );
  return (
    <section>
      <div class="toolbar">
        <h2>{fixedKind === "rollout" ? "Rollouts" : "Runs"}</h2>
        {!fixedKind && (
          <select
            value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value)}
            aria-label="kind"
          >
            <option value="">all kinds</option>
            {kinds.map((k) => (
              <option key={k.name} value={k.name}>
                {k.label}
              </option>
            ))}
          </select>
        )}
        <select
          value={status}
          onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
          aria-label="status"
        >
          <option value="">any status</option>
          <option value="running">running</option>
          <option value="completed">completed</option>
          <option value="failed">failed</option>
          <option value="aborted">aborted</option>
          <option value="interrupted">interrupted</option>
        </select>
        <input
          type="search"
          placeholder="search id, title, file"
          value={search}
          onInput={(e) => {
            setPage(0);
            setSearch((e.target as HTMLInputElement).value);
          }}
        />
        <span class="muted">{total} runs</span>
      </div>
      {error && <p class="error">{error}</p>}
      {runs === null ? (
        <p class="muted">Loading…</p>
      ) : runs.length === 0 ? (
        <p class="empty">
          No runs yet. Try <code>withstand demo</code>.
        </p>
      ) : (
        <table class="runs" data-testid="run-list">
          <thead>
            <tr>
              <th>verdict</th>
              <th>title</th>
              <th>kind</th>
              <th>started</th>
              <th class="num">duration</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-run-id={r.id}>
                <td>
                  <Badge outcome={r.outcome} status={r.status} />
                </td>
                <td>
                  <a href={`#/runs/${r.id}`}>{r.title}</a>
                  <div class="muted small">{r.id}</div>
                </td>
                <td>{r.kind}</td>
                <td>{when(r.startedAt)}</td>
                <td class="num">{duration(r.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {total > PAGE && (
        <div class="pager">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            ← newer
          </button>
          <span class="muted">
            page {page + 1} of {Math.ceil(total / PAGE)}
          </span>
          <button type="button" disabled={(page + 1) * PAGE >= total} onClick={() => setPage(page + 1)}>
            older →
          </button>
        </div>
      )}
    </section>
  );
}
