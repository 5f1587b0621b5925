import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { pointOf, timelineOf } from "../core/timeline.js";
import { summarize } from "../core/window.js";
import { listenOn } from "../proxy/listen.js";
import { REPORT_FORMATS, type ReportFormat, renderReport } from "../report/report.js";
import { runKindList } from "../report/run-kinds.js";
import { activeRollouts } from "../rollout/control.js";
import { haltAll } from "../safety/halt.js";
import { allowedHost, type Guard, isLoopbackHost, loopbackHosts, refuse } from "../safety/policy.js";
import { listFaults, liveRuns, stateDir } from "../safety/state.js";
import { groupView } from "../store/group.js";
import type { RunFilter, Store, StoredStatus } from "../store/store.js";
import { acknowledge, checksView, type MonitorLink } from "./checks-view.js";
import { doraView } from "./dora-view.js";
import { type FlagServerLink, flagsView, switchFlag } from "./flags-view.js";
import { MAX_ACK_BODY } from "./health.js";
import { postRunNote } from "./notes.js";
import { sloViews } from "./slo-view.js";

export const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));
const POLL_MS = 400;
/** With a store that pushes changes, polling only catches what a lost notification channel missed. */
const WATCHED_POLL_MS = 2000;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export interface ServeOptions {
  host: string;
  port: number;
  token?: string | undefined;
  sloFiles: string[];
  store: Store;
  /** Monitors whose checks the Checks page shows (`serve --monitor URL`). */
  monitors?: readonly MonitorLink[];
  /** Flag servers the Flags page shows and switches (`serve --flags URL`). */
  flagServers?: readonly FlagServerLink[];
  webDir?: string;
}

export interface RunningServer {
  url: string;
  token: string;
  server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(text);
}

export async function health(store: Store) {
  const root = stateDir();
  return {
    activeFaults: listFaults(root).map(({ fault, leaseAgeMs }) => ({ ...fault, leaseAgeMs })),
    activeRunners: liveRuns(root),
    rollouts: activeRollouts(),
    running: await store.listRuns({ status: "running", limit: 50 }),
  };
}

/**
 * `withstand serve`: the JSON API, the live event stream and the dashboard's static files. Live runs
 * written by other processes are followed through the store itself (SQLite in WAL mode): every 400 ms
 * the server reads the events and windows appended since its cursor and pushes them to each client.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const loopback = isLoopbackHost(opts.host);
  const token = opts.token ?? randomBytes(18).toString("base64url");
  const webDir = opts.webDir ?? WEB_DIR;
  const guard: Guard = { token, loopback, hosts: new Set(), tokenForMutations: true };
  const clients = new Set<ServerResponse>();
  let cursor: string | undefined = (await opts.store.tail()).cursor;
  let lastHealth = "";

  const pollOnce = async () => {
    if (clients.size === 0) {
      cursor = (await opts.store.tail()).cursor;
      return;
    }
    const t = await opts.store.tail(cursor);
    cursor = t.cursor;
    const frames: string[] = [];
    for (const e of t.events) frames.push(`event: run-event\ndata: ${JSON.stringify(e)}\n\n`);
    for (const w of t.windows) {
      const { runId, series } = w;
      frames.push(`event: window\ndata: ${JSON.stringify({ runId, series, point: pointOf(w) })}\n\n`);
    }
    const h = JSON.stringify(await health(opts.store));
    if (h !== lastHealth) {
      lastHealth = h;
      frames.push(`event: health\ndata: ${h}\n\n`);
    }
    if (frames.length > 0) for (const c of clients) c.write(frames.join(""));
  };
  // One poll at a time: a slow store never stacks reads up behind each other; a change announced
  // during a poll is read right after it.
  let polling = false;
  let again = false;
  const poll = () => {
    if (polling) {
      again = true;
      return;
    }
    polling = true;
    again = false;
    pollOnce()
      .catch(() => undefined)
      .finally(() => {
        polling = false;
        if (again) poll();
      });
  };
  // A store that announces its writes (PostgreSQL LISTEN/NOTIFY) is read when it does; the slow poll
  // stays as a safety net (and for the health page). Others are polled.
  const unwatch = opts.store.watch ? await opts.store.watch(poll) : undefined;
  const poller = setInterval(poll, unwatch ? WATCHED_POLL_MS : POLL_MS);
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(": keep-alive\n\n");
  }, 15_000);

  /** The page carries the token only for a Host that names this server (never after DNS rebinding). */
  const indexHtml = (req: IncomingMessage) => {
    const file = join(webDir, "index.html");
    if (!existsSync(file))
      return `<!doctype html><meta charset="utf-8"><title>withstand</title><p>The dashboard is not built: run <code>make build</code>. The API is at <a href="/api/runs">/api/runs</a>.</p>`;
    const meta =
      loopback && allowedHost(req, guard) ? `<meta name="withstand-token" content="${token}">` : "";
    return readFileSync(file, "utf8").replace("</head>", `${meta}</head>`);
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const denied = refuse(req, guard);
    if (denied) return send(res, denied.status, { error: denied.reason });
    const path = url.pathname;
    const q = url.searchParams;
    if (req.method === "GET" && path === "/api/run-kinds") return send(res, 200, { kinds: runKindList() });
    if (req.method === "GET" && path === "/api/runs") {
      const filter: RunFilter = {
        kind: q.get("kind") ?? undefined,
        status: (q.get("status") as StoredStatus | null) ?? undefined,
        search: q.get("q") ?? undefined,
        limit: Math.min(500, Number(q.get("limit") ?? 50) || 50),
        offset: Number(q.get("offset") ?? 0) || 0,
      };
      const [total, runs] = await Promise.all([opts.store.countRuns(filter), opts.store.listRuns(filter)]);
      return send(res, 200, { total, runs });
    }
    const report = /^\/api\/runs\/([^/]+)\/report$/.exec(path);
    if (req.method === "GET" && report) {
      const run = await opts.store.getRun(decodeURIComponent(report[1] ?? ""));
      if (!run) return send(res, 404, { error: "no such run" });
      const format = (q.get("format") ?? "html") as ReportFormat;
      if (!REPORT_FORMATS.includes(format))
        return send(res, 400, { error: `format: expected one of ${REPORT_FORMATS.join(", ")}` });
      const type = {
        html: "text/html",
        md: "text/markdown",
        junit: "application/xml",
        json: "application/json",
      }[format];
      res.writeHead(200, {
        "content-type": `${type}; charset=utf-8`,
        ...(format === "html"
          ? {}
          : {
              "content-disposition": `attachment; filename="${run.id}.${format === "junit" ? "xml" : format}"`,
            }),
      });
      res.end(renderReport(run, format));
      return;
    }
    const notes = /^\/api\/runs\/([^/]+)\/notes$/.exec(path);
    if (req.method === "POST" && notes) {
      let raw = "";
      for await (const chunk of req) {
        raw += String(chunk);
        if (raw.length > MAX_ACK_BODY) return send(res, 413, { error: "a note is a short text" });
      }
      let body: Record<string, unknown>;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return send(res, 400, { error: "expected a JSON body {author, text, kind}" });
      }
      const r = await postRunNote(opts.store, decodeURIComponent(notes[1] ?? ""), body);
      return send(res, r.status, r.body);
    }
    const one = /^\/api\/runs\/([^/]+)$/.exec(path);
    if (req.method === "GET" && one) {
      const run = await opts.store.getRun(decodeURIComponent(one[1] ?? ""));
      if (!run) return send(res, 404, { error: "no such run" });
      const { windows, ...rest } = run;
      return send(res, 200, {
        ...rest,
        timeline: timelineOf(run, run.events, windows),
        ...(q.get("raw") === "1" ? { windows } : {}),
      });
    }
    if (req.method === "GET" && path === "/api/load")
      return send(res, 200, { runs: await opts.store.listRuns({ kind: "load", limit: 200 }) });
    const group = /^\/api\/groups\/([^/]+)$/.exec(path);
    if (req.method === "GET" && group) {
      const found = await groupView(opts.store, decodeURIComponent(group[1] ?? ""));
      if (!found) return send(res, 404, { error: "no load run joined this group" });
      const s = summarize(found.view.total);
      return send(res, 200, {
        group: decodeURIComponent(group[1] ?? ""),
        generators: found.members.map((m) => ({ id: m.id, status: m.status, outcome: m.outcome })),
        windows: found.view.windowCount,
        count: s.count,
        errors: s.errors,
        errorRate: s.errorRate,
        p50Ms: s.latencyMs.med,
        p99Ms: s.latencyMs.p99,
        durationMs: found.view.elapsedMs,
        thresholds: found.thresholds,
      });
    }
    if (req.method === "GET" && path === "/api/checks")
      return send(res, 200, await checksView(opts.store, opts.monitors ?? []));
    if (req.method === "POST" && path === "/api/checks/ack") {
      let raw = "";
      for await (const chunk of req) {
        raw += String(chunk);
        if (raw.length > MAX_ACK_BODY)
          return send(res, 413, { error: "an acknowledgement body is a short note" });
      }
      let body: Record<string, unknown>;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return send(res, 400, { error: "expected a JSON body {monitor, id, note}" });
      }
      const r = await acknowledge(opts.monitors ?? [], body);
      return send(res, r.status, r.body);
    }
    if (req.method === "GET" && path === "/api/flags")
      return send(res, 200, await flagsView(opts.store, opts.flagServers ?? []));
    if (req.method === "POST" && path === "/api/flags/switch") {
      let raw = "";
      for await (const chunk of req) {
        raw += String(chunk);
        if (raw.length > MAX_ACK_BODY) return send(res, 413, { error: "a flag switch is a short request" });
      }
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = undefined;
      }
      if (typeof body !== "object" || body === null || Array.isArray(body))
        return send(res, 400, { error: "expected a JSON body {server, flag, variant or state, reason}" });
      const r = await switchFlag(opts.flagServers ?? [], body as Record<string, unknown>);
      return send(res, r.status, r.body);
    }
    if (req.method === "GET" && path === "/api/rollouts")
      return send(res, 200, {
        active: activeRollouts(),
        runs: await opts.store.listRuns({ kind: "rollout", limit: 200 }),
      });
    if (req.method === "GET" && path === "/api/dora") {
      const r = await doraView(opts.store, q);
      return send(res, r.status, r.body);
    }
    if (req.method === "GET" && path === "/api/slo")
      return send(res, 200, await sloViews(opts.sloFiles, opts.store));
    if (req.method === "GET" && path === "/api/health") return send(res, 200, await health(opts.store));
    if (req.method === "POST" && path === "/api/halt") {
      const r = await haltAll();
      return send(res, 200, {
        reverted: r.reverted.map(({ fault, how }) => ({
          id: fault.id,
          kind: fault.kind,
          activity: fault.activity,
          runId: fault.runId,
          how,
        })),
        runsSignalled: r.runsSignalled,
      });
    }
    if (req.method === "GET" && path === "/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write(`retry: 1000\nevent: health\ndata: ${JSON.stringify(await health(opts.store))}\n\n`);
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    send(res, 404, { error: `no such endpoint: ${req.method} ${path}` });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://withstand");
    if (url.pathname.startsWith("/api/")) {
      api(req, res, url).catch((err: Error) => send(res, 500, { error: err.message }));
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "method not allowed" });
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, "");
    const file = join(webDir, rel);
    if (
      rel &&
      !rel.startsWith("..") &&
      file.startsWith(webDir.endsWith(sep) ? webDir : webDir + sep) &&
      existsSync(file) &&
      !file.endsWith(sep) &&
      extname(file)
    ) {
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": rel.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
        "x-content-type-options": "nosniff",
      });
      res.end(readFileSync(file));
      return;
    }
    // Everything else is the single-page app.
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy":
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
      "x-frame-options": "DENY",
    });
    res.end(indexHtml(req));
  });
  const address = await listenOn(server, opts.host, opts.port);
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  if (loopback) for (const h of loopbackHosts(opts.host, port)) guard.hosts.add(h);
  return {
    url: `http://${address}`,
    token,
    server,
    close: async () => {
      clearInterval(poller);
      clearInterval(heartbeat);
      await unwatch?.();
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
