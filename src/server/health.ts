import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Gauge, Registry } from "prom-client";
import type { AlertQueueStatus } from "../checks/alert-queue.js";
import {
  aggregate,
  type CheckState,
  type Heartbeat,
  type Monitor,
  type MonitoredCheck,
} from "../checks/monitor.js";
import { escapeXml, FORMATS, type Format, jsonReport, render } from "../checks/outputs.js";
import type { TestResult } from "../checks/run.js";
import { listenOn } from "../proxy/listen.js";
import { bearer, guardFor, loopbackHosts, refuse, sameToken } from "../safety/policy.js";

/**
 * `withstand monitor`'s endpoints, all answered from cached results (a request never runs a check):
 * `/__health` (the FT health-check JSON, HTML for browsers), `/__gtg` (200 or 503 for load
 * balancers), `/__goss` (Goss's `serve`: 200 all pass, 503 otherwise, in Goss's formats), `/metrics`
 * (blackbox_exporter's probe_success and probe_duration_seconds), `/heartbeat/NAME` pings, and the
 * acknowledgement API. Security as `serve`: loopback by default, a bearer token elsewhere and for
 * every change.
 */
export interface HealthServerOptions {
  host: string;
  port: number;
  token: string | undefined;
  system: { code: string; name: string; description: string };
  monitor: Monitor;
  heartbeats: ReadonlyMap<string, Heartbeat>;
  gossResults: ReadonlyMap<string, TestResult[]>;
  /** goss serve's counters, summed over the monitor's Goss runs. */
  gossTally?: { text(): string };
  /** The webhook's undelivered alerts, shown as a check of their own. */
  alerts?: () => AlertQueueStatus;
}

/** The outbox as an FT check (only the standard's fields): failing, severity 2, while alerts wait for the webhook. */
function alertsCheck(status: AlertQueueStatus) {
  const ok = status.undelivered === 0;
  const parts = ok
    ? ["every alert delivered"]
    : [
        `${status.undelivered} alert${status.undelivered === 1 ? "" : "s"} not delivered to the webhook yet (oldest queued ${status.oldest}); retrying with backoff`,
        ...(status.lastError ? [`last error: ${status.lastError}`] : []),
      ];
  if (status.dropped > 0) parts.push(`${status.dropped} dropped (the queue keeps the newest 1000)`);
  return {
    id: "webhook-alerts",
    name: "Webhook alerts are delivered",
    ok,
    severity: 2 as const,
    businessImpact: "Nobody is told when a check fails",
    technicalSummary: "Alerts wait in a queue (kept across restarts) until the --webhook receiver takes them",
    panicGuide: "Check that the --webhook receiver is up and answers 2xx",
    checkOutput: parts.join("; "),
    lastUpdated: new Date().toISOString(),
  };
}

/** An acknowledgement is a note, not a document. */
export const MAX_ACK_BODY = 16 * 1024;
const NO_STORE = "max-age=0, must-revalidate, no-cache, no-store, private";

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "cache-control": NO_STORE,
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, `${JSON.stringify(body)}\n`, "application/json");

/** One check as the FT standard lists it. */
function ftCheck(c: MonitoredCheck, s: CheckState | undefined) {
  return {
    id: c.id,
    name: c.name,
    ok: s?.ok ?? false,
    severity: c.severity,
    businessImpact: c.businessImpact,
    technicalSummary: c.technicalSummary,
    panicGuide: c.panicGuide,
    checkOutput: s?.output ?? "",
    lastUpdated: new Date(s?.lastUpdated ?? 0).toISOString(),
    ...(s?.ack
      ? { ack: `${s.ack.note || "acknowledged"} (${s.ack.by}, ${new Date(s.ack.at).toISOString()})` }
      : {}),
  };
}

export function ftHealth(
  opts: Pick<HealthServerOptions, "system" | "monitor" | "alerts">,
  states: ReadonlyMap<string, CheckState> = opts.monitor.views(),
) {
  const checks = opts.monitor.checks;
  const agg = aggregate(checks, states);
  const outbox = opts.alerts ? alertsCheck(opts.alerts()) : undefined;
  const ok = agg.ok && (outbox?.ok ?? true);
  const severity = outbox && !outbox.ok ? Math.min(agg.severity ?? 3, outbox.severity) : agg.severity;
  return {
    schemaVersion: 1,
    systemCode: opts.system.code,
    name: opts.system.name,
    description: opts.system.description,
    checks: [...checks.map((c) => ftCheck(c, states.get(c.id))), ...(outbox ? [outbox] : [])],
    ok,
    ...(severity !== undefined ? { severity } : {}),
  };
}

/** The health page a person reads: every check, its severity, output, history and heartbeat deadline. */
function healthHtml(opts: HealthServerOptions): string {
  const states = opts.monitor.views();
  const h = ftHealth(opts, states);
  const rows = opts.monitor.checks.map((c) => {
    const s = states.get(c.id);
    const bars = (s?.history ?? [])
      .map((x) => `<i class="${x.ok ? "up" : "down"}" title="${new Date(x.at).toISOString()}"></i>`)
      .join("");
    const guide = c.panicGuide.startsWith("http")
      ? `<a href="${escapeXml(c.panicGuide)}">panic guide</a>`
      : escapeXml(c.panicGuide);
    return `<tr class="${s?.ok ? "ok" : "bad"}" data-check="${escapeXml(c.id)}"><td>${s?.ok ? "✓" : "✗"}</td><td><b>${escapeXml(c.name)}</b><br><small>${escapeXml(c.id)} · ${c.kind} · severity ${c.severity}</small></td><td>${escapeXml(s?.output ?? "")}${s?.ack ? `<br><small>acknowledged: ${escapeXml(s.ack.note || s.ack.by)}</small>` : ""}</td><td class="bars">${bars}</td><td><small>${escapeXml(c.businessImpact)}</small><br><small>${guide}</small></td></tr>`;
  });
  const beats = [...opts.heartbeats].map(
    ([name, b]) =>
      `<li><code>/heartbeat/${escapeXml(name)}</code> due by ${new Date(b.deadline()).toISOString()}</li>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeXml(h.name)} health</title><style>
body{font:14px system-ui,sans-serif;margin:2em;color:#1f2937}table{border-collapse:collapse;width:100%}td{border-bottom:1px solid #e5e7eb;padding:.5em;vertical-align:top}
tr.bad td:first-child{color:#b91c1c;font-weight:bold}tr.ok td:first-child{color:#047857}.bars i{display:inline-block;width:4px;height:14px;margin-right:1px;background:#10b981}.bars i.down{background:#ef4444}
h1 span{font-size:.6em;padding:.2em .5em;border-radius:4px;background:${h.ok ? "#d1fae5" : "#fee2e2"}}</style></head><body>
<h1>${escapeXml(h.name)} <span data-testid="overall">${h.ok ? "OK" : `NOT OK, severity ${h.severity}`}</span></h1><p>${escapeXml(h.description)} (system code ${escapeXml(h.systemCode)})</p>
<table>${rows.join("")}</table>${beats.length ? `<h2>Heartbeats</h2><ul>${beats.join("")}</ul>` : ""}<p><small>JSON: <code>curl -H 'Accept: application/json' /__health</code></small></p></body></html>`;
}

function gossFormat(req: IncomingMessage): Format | undefined {
  const accept = req.headers.accept ?? "";
  const m = /application\/vnd\.goss-([a-z]+)/.exec(accept);
  if (m) return FORMATS.includes(m[1] as Format) ? (m[1] as Format) : undefined;
  return accept.includes("application/json") ? "json" : "rspecish";
}

function metrics(opts: HealthServerOptions): Promise<string> {
  const registry = new Registry();
  const success = new Gauge({
    name: "probe_success",
    help: "Displays whether or not the probe was a success",
    labelNames: ["check", "kind", "severity"],
    registers: [registry],
  });
  const duration = new Gauge({
    name: "probe_duration_seconds",
    help: "Returns how long the probe took to complete in seconds",
    labelNames: ["check", "kind", "severity"],
    registers: [registry],
  });
  const states = opts.monitor.views();
  for (const c of opts.monitor.checks) {
    const s = states.get(c.id);
    const labels = { check: c.id, kind: c.kind, severity: String(c.severity) };
    success.set(labels, s?.ok ? 1 : 0);
    duration.set(labels, (s?.durationMs ?? 0) / 1000);
  }
  return registry.metrics();
}

export interface RunningHealthServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<RunningHealthServer> {
  const guard = guardFor(opts.host, opts.port, opts.token, true);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const denied = refuse(req, guard);
    if (denied) return json(res, denied.status, { error: denied.reason });
    const url = new URL(req.url ?? "/", "http://monitor");
    const path = url.pathname;
    if (req.method === "GET" && (path === "/__health" || path === "/__health.json")) {
      if ((req.headers.accept ?? "").includes("text/html") && path === "/__health")
        return send(res, 200, healthHtml(opts), "text/html");
      return json(res, 200, ftHealth(opts));
    }
    // FT's rule is an answer within 3 s; read from cached state, this one never waits on a check.
    if (req.method === "GET" && path === "/__gtg") {
      const states = opts.monitor.views();
      const good = opts.monitor.checks.every((c) => c.severity !== 1 || states.get(c.id)?.ok);
      return good
        ? send(res, 200, "OK", "text/plain")
        : send(res, 503, "Not OK, see /__health endpoint", "text/plain");
    }
    if (req.method === "GET" && (path === "/__goss" || path === "/healthz")) {
      const format = gossFormat(req);
      if (!format)
        return json(res, 406, { error: `Accept: expected application/vnd.goss-{${FORMATS.join(",")}}` });
      const results = [...opts.gossResults.values()].flat();
      const failed = results.some((r) => r.result === 1) || results.length === 0;
      const out =
        format === "json"
          ? `${JSON.stringify(jsonReport(results, { color: false, options: [], durationMs: 0 }))}\n`
          : render(format, results, { color: false, options: [], durationMs: 0 }).text;
      // Goss serve's content types: JSON and Prometheus by their common names, the rest as vnd.goss-FORMAT.
      const type =
        format === "json"
          ? "application/json"
          : format === "prometheus"
            ? "text/plain; version=0.0.4"
            : `application/vnd.goss-${format}`;
      return send(res, failed ? 503 : 200, out, type);
    }
    if (req.method === "GET" && path === "/metrics")
      return send(
        res,
        200,
        (await metrics(opts)) + (opts.gossTally?.text() ?? ""),
        "text/plain; version=0.0.4",
      );
    const beat = /^\/heartbeat\/([a-z0-9-]+)$/.exec(path);
    if (beat && (req.method === "GET" || req.method === "POST")) {
      const b = opts.heartbeats.get(beat[1] ?? "");
      // A ping keeps a job looking alive: with a token, a GET needs it too, so a cross-site image
      // request (which cannot send Authorization) cannot keep a dead job green.
      if (opts.token !== undefined && !sameToken(bearer(req), opts.token))
        return json(res, 401, {
          error: "a heartbeat ping needs Authorization: Bearer <token> (the monitor has --token)",
        });
      if (!b) return json(res, 404, { error: `no heartbeat named ${beat[1]}` });
      b.ping();
      req.resume();
      return json(res, 200, {
        ok: true,
        heartbeat: beat[1],
        nextDeadline: new Date(b.deadline()).toISOString(),
      });
    }
    if (req.method === "GET" && path === "/api/checks") {
      const states = opts.monitor.views();
      return json(res, 200, {
        ...ftHealth(opts, states),
        kinds: Object.fromEntries(opts.monitor.checks.map((c) => [c.id, c.kind])),
        states: Object.fromEntries(states),
        heartbeats: [...opts.heartbeats].map(([name, b]) => ({
          name,
          deadline: new Date(b.deadline()).toISOString(),
        })),
      });
    }
    const ack = /^\/api\/checks\/([a-z0-9-]+)\/ack$/.exec(path);
    if (ack && (req.method === "POST" || req.method === "DELETE")) {
      const id = ack[1] ?? "";
      let body = "";
      for await (const chunk of req) {
        body += String(chunk);
        if (body.length > MAX_ACK_BODY)
          return json(res, 413, { error: "an acknowledgement body is a short note" });
      }
      let note = "";
      let by = "api";
      try {
        const parsed = body ? (JSON.parse(body) as { note?: unknown; by?: unknown }) : {};
        note = typeof parsed.note === "string" ? parsed.note.slice(0, 500) : "";
        by = typeof parsed.by === "string" ? parsed.by.slice(0, 100) : by;
      } catch {
        return json(res, 400, { error: 'expected a JSON body such as {"note": "looking into it"}' });
      }
      const done =
        req.method === "POST" ? opts.monitor.acknowledge(id, by, note) : opts.monitor.unacknowledge(id);
      return done
        ? json(res, 200, { ok: true, id, acknowledged: req.method === "POST" })
        : json(res, 404, { error: `no check ${id}` });
    }
    return json(res, 404, { error: "not found (try /__health, /__gtg, /__goss, /metrics)" });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  const address = await listenOn(server, opts.host, opts.port);
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  if (guard.loopback) for (const h of loopbackHosts(opts.host, port)) guard.hosts.add(h);
  return {
    url: `http://${address}`,
    server,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
