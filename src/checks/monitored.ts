import { parseDuration } from "../core/duration.js";
import type { HeartbeatSpec } from "../documents/heartbeat.js";
import type { SyntheticSpec } from "../documents/synthetic.js";
import type { GossTally } from "./goss-tally.js";
import type { CheckEntry } from "./gossfile.js";
import { type Clock, Heartbeat, type MonitoredCheck, type Severity } from "./monitor.js";
import { summaryLine } from "./outputs.js";
import { FAIL, runChecks, type TestResult } from "./run.js";
import type { SyntheticResult } from "./synthetic-run.js";

/** An FT check id: lowercase letters, digits and hyphens. */
export function ftId(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "check"
  );
}

function metaField(meta: unknown, key: string): unknown {
  return meta && typeof meta === "object" && Object.hasOwn(meta, key)
    ? (meta as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Each Gossfile entry is one monitored check. Its FT fields come from Goss's `meta` (severity,
 * businessImpact, technicalSummary, panicGuide, interval), so one file serves `goss validate`,
 * `withstand check` and the health page alike. `latest` keeps every entry's last results for the
 * Goss-compatible endpoint.
 */
export function gossChecks(
  entries: readonly CheckEntry[],
  defaultIntervalMs: number,
  latest: Map<string, TestResult[]>,
  tally?: GossTally,
): MonitoredCheck[] {
  const used = new Set<string>();
  return entries.map((e) => {
    let id = ftId(`${e.kind.type}-${e.id}`);
    for (let n = 2; used.has(id); n++) id = `${ftId(`${e.kind.type}-${e.id}`)}-${n}`;
    used.add(id);
    const severity = Number(metaField(e.meta, "severity"));
    const interval = parseDuration(metaField(e.meta, "interval"));
    const text = (key: string, fallback: string) => {
      const v = metaField(e.meta, key);
      return typeof v === "string" ? v : fallback;
    };
    return {
      id,
      name: e.title || `${e.kind.title} ${e.id}`,
      kind: "goss",
      severity: (severity === 1 || severity === 2 || severity === 3 ? severity : 2) as Severity,
      businessImpact: text("businessImpact", ""),
      technicalSummary: text("technicalSummary", `Goss ${e.kind.type} check of ${e.id} (${e.at})`),
      panicGuide: text("panicGuide", ""),
      intervalMs: interval && interval > 0 ? interval : defaultIntervalMs,
      async run(signal) {
        const started = performance.now();
        const results = await runChecks([e], { maxConcurrent: 1, signal });
        latest.set(id, results);
        tally?.record(results, performance.now() - started);
        const failed = results.filter((r) => r.result === FAIL);
        return {
          ok: failed.length === 0,
          output: failed.length
            ? failed.map((r) => summaryLine(r).replace(/\n/g, " ")).join("; ")
            : `${results.length} Goss tests passed`,
          durationMs: performance.now() - started,
        };
      },
    };
  });
}

/**
 * A synthetic as a monitored check (each run a stored run), and, when it has a heartbeat, a second
 * check that fails when no run succeeded within it: Gilt's "no test order in three minutes".
 */
export function syntheticChecks(
  spec: SyntheticSpec,
  run: (spec: SyntheticSpec, signal: AbortSignal) => Promise<SyntheticResult>,
  clock: Clock,
): MonitoredCheck[] {
  const beat = spec.heartbeatMs ? new Heartbeat(spec.heartbeatMs, 0, clock) : undefined;
  const fields = {
    severity: spec.severity,
    businessImpact: spec.businessImpact,
    technicalSummary: spec.technicalSummary || `Synthetic transaction ${spec.name} (${spec.source})`,
    panicGuide: spec.panicGuide,
  };
  const main: MonitoredCheck = {
    id: ftId(spec.id),
    name: spec.name,
    kind: "synthetic",
    ...fields,
    intervalMs: spec.everyMs,
    async run(signal) {
      const r = await run(spec, signal);
      if (r.ok) beat?.ping();
      return {
        ok: r.ok,
        output: `${r.reason}${r.degraded ? " (degraded: slower than degradedResponseTime)" : ""}`,
        durationMs: r.durationMs,
      };
    },
  };
  if (!beat) return [main];
  return [
    main,
    {
      id: `${ftId(spec.id)}-heartbeat`,
      name: `A successful run of ${spec.name} within ${Math.round((spec.heartbeatMs ?? 0) / 1000)}s`,
      kind: "heartbeat",
      ...fields,
      intervalMs: 1000,
      run: async () => beat.outcome(`successful run of ${spec.name}`),
    },
  ];
}

/** A heartbeat that jobs outside withstand ping; the monitor serves /heartbeat/NAME for them. */
export function heartbeatCheck(
  spec: HeartbeatSpec,
  clock: Clock,
): { check: MonitoredCheck; beat: Heartbeat } {
  const beat = new Heartbeat(spec.periodMs, spec.graceMs, clock);
  return {
    beat,
    check: {
      id: ftId(`heartbeat-${spec.name}`),
      name: `Heartbeat ${spec.name}`,
      kind: "heartbeat",
      severity: spec.severity,
      businessImpact: spec.businessImpact,
      technicalSummary:
        spec.technicalSummary ||
        `Pings to /heartbeat/${spec.name} every ${Math.round(spec.periodMs / 1000)}s`,
      panicGuide: spec.panicGuide,
      intervalMs: 1000,
      run: async () => beat.outcome("ping"),
    },
  };
}
