import { request } from "undici";
import type { Store } from "../store/store.js";

/** A monitor `serve` shows on its Checks page (`--monitor URL`), with the token its acknowledgements need. */
export interface MonitorLink {
  url: string;
  token?: string | undefined;
}

export interface SyntheticSummary {
  name: string;
  runs: number;
  passed: number;
  last: { id: string; outcome: string | null; startedAt: string; durationMs: number | null };
  /** Newest last. */
  history: { id: string; ok: boolean; at: string }[];
}

const HISTORY = 40;

/** Every synthetic's recent runs from the store, newest first by name. */
async function synthetics(store: Store): Promise<SyntheticSummary[]> {
  const runs = await store.listRuns({ kind: "synthetic", limit: 2000 });
  const byName = new Map<string, typeof runs>();
  for (const r of runs) {
    const list = byName.get(r.title);
    if (list) list.push(r);
    else byName.set(r.title, [r]);
  }
  return [...byName].map(([name, list]) => {
    const recent = list.slice(0, HISTORY).reverse();
    const first = list[0] as (typeof list)[number];
    return {
      name,
      runs: list.length,
      passed: list.filter((r) => r.outcome === "passed").length,
      last: {
        id: first.id,
        outcome: first.outcome,
        startedAt: first.startedAt,
        durationMs: first.durationMs,
      },
      history: recent.map((r) => ({ id: r.id, ok: r.outcome === "passed", at: r.startedAt })),
    };
  });
}

const auth = (m: MonitorLink) => (m.token ? { authorization: `Bearer ${m.token}` } : {});

async function monitorState(m: MonitorLink): Promise<{ url: string; health?: unknown; error?: string }> {
  try {
    const res = await request(`${m.url}/api/checks`, { headers: auth(m), signal: AbortSignal.timeout(3000) });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { url: m.url, error: `HTTP ${res.statusCode}` };
    }
    return { url: m.url, health: await res.body.json() };
  } catch (err) {
    return { url: m.url, error: (err as Error).message };
  }
}

/** The Checks page's data: each monitor's checks (live), and the synthetics the store recorded. */
export async function checksView(store: Store, monitors: readonly MonitorLink[]) {
  const [live, recorded] = await Promise.all([Promise.all(monitors.map(monitorState)), synthetics(store)]);
  return { monitors: live, synthetics: recorded };
}

/** Forwards an acknowledgement to the monitor that owns the check. */
export async function acknowledge(
  monitors: readonly MonitorLink[],
  body: { monitor?: unknown; id?: unknown; note?: unknown; remove?: unknown },
): Promise<{ status: number; body: unknown }> {
  const m = monitors.find((x) => x.url === body.monitor);
  if (!m) return { status: 404, body: { error: "no such monitor (serve --monitor URL)" } };
  if (typeof body.id !== "string" || !/^[a-z0-9-]+$/.test(body.id))
    return { status: 400, body: { error: "id: expected a check id" } };
  const res = await request(`${m.url}/api/checks/${body.id}/ack`, {
    method: body.remove === true ? "DELETE" : "POST",
    headers: { "content-type": "application/json", ...auth(m) },
    body: JSON.stringify({
      note: typeof body.note === "string" ? body.note.slice(0, 500) : "",
      by: "dashboard",
    }),
    signal: AbortSignal.timeout(3000),
  });
  return { status: res.statusCode, body: await res.body.json() };
}
