import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { AlertQueue } from "../checks/alert-queue.js";
import { Alerter, type AlertMessage } from "../checks/alerts.js";
import { GossTally } from "../checks/goss-tally.js";
import { loadGossfiles, readVars, sniffTop } from "../checks/gossfile.js";
import {
  type Heartbeat,
  Monitor,
  type MonitoredCheck,
  type Severity,
  systemClock,
} from "../checks/monitor.js";
import { gossChecks, heartbeatCheck, syntheticChecks } from "../checks/monitored.js";
import type { TestResult } from "../checks/run.js";
import { parseDuration } from "../core/duration.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { isRecord } from "../core/reader.js";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { readHeartbeat } from "../documents/heartbeat.js";
import { parseSource } from "../documents/source.js";
import { readSynthetic, type SyntheticSpec } from "../documents/synthetic.js";
import { isLoopbackHost, weakToken } from "../safety/policy.js";
import { stateDir } from "../safety/state.js";
import { startHealthServer } from "../server/health.js";
import { failUsage } from "./fail.js";
import { recordSyntheticRun } from "./synthetic.js";

export interface MonitorFlags {
  listen?: string;
  token?: string;
  systemCode?: string;
  name?: string;
  description?: string;
  interval?: string;
  webhook?: string;
  alertSeverity?: string;
  failureThreshold?: string;
  repeat?: string;
  alertRetryMax?: string;
  vars?: string;
  varsInline?: string;
  store?: string;
  url?: string;
  note?: string;
  remove?: boolean;
}

type Kind = "synthetic" | "heartbeat" | "goss";

/** What a file holds: a withstand Synthetic or Heartbeat, or else a Gossfile. */
function kindOf(file: string): Kind {
  const top = sniffTop(readFileSync(file, "utf8"));
  if (isRecord(top) && top.apiVersion === "withstand/v1") {
    if (top.kind === "Synthetic") return "synthetic";
    if (top.kind === "Heartbeat") return "heartbeat";
  }
  return "goss";
}

function readNative<T>(
  file: string,
  read: (doc: ReturnType<typeof parseSource>["docs"][number]) => { spec?: T; diagnostics: Diagnostic[] },
) {
  const parsed = parseSource(file, readFileSync(file, "utf8"));
  const doc = parsed.docs[0];
  const r = doc ? read(doc) : { diagnostics: [] };
  return { spec: r.spec, diagnostics: [...parsed.diagnostics, ...r.diagnostics] };
}

/** Posts an alert once; throws unless the receiver took it (2xx). The queue retries. */
async function deliver(url: string, message: AlertMessage): Promise<void> {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "withstand-monitor" },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(5000),
  });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
}

function hostPort(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) failUsage(`--listen ${listen}: expected HOST:PORT such as 127.0.0.1:8099`);
  return { host: (m[1] ?? "").replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

/** `withstand monitor ack ID`: silences a failing check until it recovers. */
async function ackCommand(args: string[], flags: MonitorFlags): Promise<ExitCode> {
  const [id, extra] = args;
  if (!id || extra !== undefined) failUsage("monitor ack: expected one check id (see /__health)");
  const base = flags.url ?? "http://127.0.0.1:8099";
  const res = await request(`${base.replace(/\/$/, "")}/api/checks/${encodeURIComponent(id)}/ack`, {
    method: flags.remove ? "DELETE" : "POST",
    headers: {
      "content-type": "application/json",
      ...((flags.token ?? process.env.WITHSTAND_TOKEN)
        ? { authorization: `Bearer ${flags.token ?? process.env.WITHSTAND_TOKEN}` }
        : {}),
    },
    body: JSON.stringify({ note: flags.note ?? "", by: process.env.USER ?? "cli" }),
  }).catch((err: Error) => failUsage(`--url ${base}: ${err.message}`));
  const text = await res.body.text();
  if (res.statusCode >= 300) {
    process.stderr.write(`withstand: ${text.trim()}\n`);
    return EXIT.invalid;
  }
  process.stdout.write(`${flags.remove ? "unacknowledged" : "acknowledged"} ${id}\n`);
  return EXIT.ok;
}

/**
 * `withstand monitor FILES...`: runs every Goss check, synthetic and heartbeat of the files on their
 * schedules, records synthetics in the store, serves the FT health endpoints and alerts a webhook.
 */
export async function monitorCommand(files: string[], flags: MonitorFlags): Promise<ExitCode> {
  if (files[0] === "ack") return ackCommand(files.slice(1), flags);
  if (files.length === 0) failUsage("monitor: expected Gossfiles, Synthetic or Heartbeat files");
  const weak = weakToken(flags.token);
  if (weak) failUsage(weak);
  const { host, port } = hostPort(flags.listen ?? "127.0.0.1:8099");
  if (!isLoopbackHost(host) && !flags.token)
    failUsage(`--listen ${flags.listen}: off loopback the monitor needs --token (at least 16 characters)`);
  const intervalMs = parseDuration(flags.interval ?? "60s");
  if (!intervalMs || intervalMs < 1000)
    failUsage(`--interval ${flags.interval}: expected a duration of at least 1s`);
  const alertSeverity = Number(flags.alertSeverity ?? 1);
  if (![1, 2, 3].includes(alertSeverity))
    failUsage(`--alert-severity ${flags.alertSeverity}: expected 1, 2 or 3`);
  const failureThreshold = Number(flags.failureThreshold ?? 1);
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1)
    failUsage(`--failure-threshold ${flags.failureThreshold}: expected a whole number of at least 1`);
  const repeatMs = flags.repeat === undefined ? 0 : parseDuration(flags.repeat);
  if (repeatMs === undefined) failUsage(`--repeat ${flags.repeat}: expected a duration such as 30m, or 0`);
  const retryMaxMs = parseDuration(flags.alertRetryMax ?? "5m");
  if (!retryMaxMs || retryMaxMs < 1000 || retryMaxMs > 86_400_000)
    failUsage(`--alert-retry-max ${flags.alertRetryMax}: expected a duration from 1s to 24h, such as 5m`);
  if (flags.webhook !== undefined && !/^https?:\/\//.test(flags.webhook))
    failUsage(`--webhook ${flags.webhook}: expected an http:// or https:// URL`);

  const diagnostics: Diagnostic[] = [];
  const latest = new Map<string, TestResult[]>();
  const gossTally = new GossTally();
  const heartbeats = new Map<string, Heartbeat>();
  const checks: MonitoredCheck[] = [];
  // Each file is read once to tell its kind.
  const kinds = new Map(files.map((f) => [f, kindOf(f)]));
  const gossFiles = files.filter((f) => kinds.get(f) === "goss");
  if (gossFiles.length > 0) {
    let vars: Record<string, unknown>;
    try {
      vars = readVars(flags.vars, flags.varsInline);
    } catch (err) {
      failUsage(`--vars: ${(err as Error).message}`);
    }
    const loaded = loadGossfiles(gossFiles, { vars, env: process.env });
    diagnostics.push(...loaded.diagnostics);
    checks.push(...gossChecks(loaded.entries, intervalMs, latest, gossTally));
  }
  const runSynthetic = async (spec: SyntheticSpec, signal: AbortSignal) =>
    (await recordSyntheticRun(spec, flags.store, signal)).result;
  for (const file of files) {
    const kind = kinds.get(file);
    if (kind === "synthetic") {
      const r = readNative(file, readSynthetic);
      diagnostics.push(...r.diagnostics);
      if (r.spec) checks.push(...syntheticChecks(r.spec, runSynthetic, systemClock));
    } else if (kind === "heartbeat") {
      const r = readNative(file, readHeartbeat);
      diagnostics.push(...r.diagnostics);
      if (r.spec) {
        const { check, beat } = heartbeatCheck(r.spec, systemClock);
        heartbeats.set(r.spec.name, beat);
        checks.push(check);
      }
    }
  }
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(diagnostics)) return EXIT.invalid;
  const ids = new Set<string>();
  for (const c of checks) {
    if (ids.has(c.id))
      failUsage(
        `two checks have the id ${c.id}: give one of them another id (Synthetic spec.id, Heartbeat name)`,
      );
    ids.add(c.id);
  }

  const system = {
    code: flags.systemCode ?? "withstand-monitor",
    name: flags.name ?? `withstand monitor on ${hostname()}`,
    description: flags.description ?? `Checks from ${files.join(", ")}`,
  };
  let healthUrl = "";
  const webhook = flags.webhook;
  // Undelivered alerts wait in the state directory, per system code, so a restart resends them.
  const outbox = webhook
    ? new AlertQueue({
        file: join(stateDir(), "monitor", `alerts-${system.code.replace(/[^A-Za-z0-9_-]/g, "_")}.json`),
        maxBackoffMs: retryMaxMs,
        deliver: (m) => deliver(webhook, m),
        onError: (m, err, wait) =>
          process.stderr.write(
            `withstand monitor: webhook ${webhook}: ${m.status} ${m.check.id} not delivered: ${err.message}; retrying in ${Math.ceil(wait / 1000)}s\n`,
          ),
      })
    : undefined;
  const alerter = outbox
    ? new Alerter({
        system: { code: system.code, name: system.name },
        get healthUrl() {
          return healthUrl;
        },
        severity: alertSeverity as Severity,
        failureThreshold,
        repeatMs,
        send: (m) => {
          process.stderr.write(
            `withstand monitor: alert ${m.status} ${m.check.id}: ${m.check.checkOutput}\n`,
          );
          outbox?.enqueue(m);
        },
      })
    : undefined;
  const monitor = new Monitor(checks, {
    onTick: (states, all) => alerter?.observe(states, all, Date.now()),
    onError: (c, err) =>
      process.stderr.write(`withstand monitor: check ${c.id} failed to execute: ${err.message}\n`),
  });
  const server = await startHealthServer({
    host,
    port,
    token: flags.token,
    system,
    monitor,
    heartbeats,
    gossResults: latest,
    gossTally,
    ...(outbox ? { alerts: () => outbox.status() } : {}),
  });
  healthUrl = `${server.url}/__health`;
  outbox?.start();
  monitor.start();
  process.stdout.write(
    `withstand monitor: ${checks.length} checks (${checks.filter((c) => c.kind === "goss").length} Goss, ${checks.filter((c) => c.kind === "synthetic").length} synthetic, ${checks.filter((c) => c.kind === "heartbeat").length} heartbeat) on ${server.url}\n  ${server.url}/__health  ${server.url}/__gtg  ${server.url}/__goss  ${server.url}/metrics\n`,
  );
  await new Promise<void>((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
  outbox?.stop();
  await monitor.stop();
  await server.close();
  return EXIT.ok;
}
