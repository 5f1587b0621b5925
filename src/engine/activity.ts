import { ActivityFailure } from "../core/errors.js";
import type { Phase } from "../core/events.js";
import type { ActivitySpec, FaultSpec, RawActivity } from "../core/experiment.js";
import { describeTarget } from "../core/fault.js";
import type { ActivityRun } from "../core/journal.js";
import type { ProbeKind } from "../core/probe-kind.js";
import { redact } from "../core/redact.js";
import { type Scope, substitute, substituteUrl } from "../core/substitute.js";
import { evaluateThreshold, parseThreshold } from "../core/threshold.js";
import { checkTolerance, type PureTolerance, type ToleranceResult } from "../core/tolerance.js";
import { mergeWindows, summarize, toStored, type Window } from "../core/window.js";
import { parseActivity } from "../documents/activity.js";
import { formatPath } from "../documents/diagnostic.js";
import { remoteTargets } from "../documents/load-test.js";
import { faultKind } from "../faults/index.js";
import { runLoad } from "../load/coordinator.js";
import { judgeAnomaly } from "../metrics/anomaly.js";
import { PROBE_KINDS } from "../probes/index.js";
import { ConfigError } from "./configuration.js";
import { type RunContext, sleep } from "./context.js";

export interface ActivityResult {
  run: ActivityRun;
  spec?: ActivitySpec;
  toleranceChecked: boolean;
}

/** An HTTP provider's URL gets each value encoded for the URL component it lands in (see substituteUrl). */
function withUrlsSubstituted(raw: unknown, scopes: readonly Scope[]): unknown {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const provider = (raw as Record<string, unknown>).provider;
  if (!provider || typeof provider !== "object" || Array.isArray(provider)) return raw;
  const p = provider as Record<string, unknown>;
  if (p.type !== "http" || typeof p.url !== "string") return raw;
  return { ...raw, provider: { ...p, url: substituteUrl(p.url, scopes) } };
}

/** Substitutes variables into the activity as written, then validates it again with real values. */
export function materialise(
  raw: RawActivity,
  ctx: RunContext,
  role: "hypothesis" | "method" | "rollback",
): ActivitySpec {
  const scopes: Scope[] = [ctx.saved, ctx.configuration, ctx.secrets];
  const value = substitute(withUrlsSubstituted(raw.raw, scopes), scopes) as Record<string, unknown>;
  const errors: string[] = [];
  const spec = parseActivity(
    value,
    {
      deferVars: false,
      error: (path, message) => errors.push(`${raw.loc}: ${formatPath(path)}: ${message}`),
      warn: () => undefined,
    },
    { native: ctx.native, role, loc: raw.loc },
  );
  if (!spec || errors.length > 0) throw new ConfigError(errors[0] ?? `${raw.loc}: invalid activity`);
  return spec;
}

async function execute(spec: ActivitySpec, ctx: RunContext, signal: AbortSignal): Promise<unknown> {
  if (spec.provider) {
    const kind = probeKindOf(spec);
    if (ctx.dryRun) return { dry_run: kind.describe(spec.provider) };
    return await kind.execute(spec.provider, signal, ctx.probes);
  }
  if (spec.fault) return await runFault(spec, spec.fault, ctx);
  if (spec.load) {
    const plan = spec.load;
    if (ctx.dryRun)
      return {
        dry_run: `would load ${plan.requests.map((q) => `${q.method} ${q.url}`).join(", ")} with ${plan.executor.type}`,
      };
    const remote = remoteTargets(plan);
    if (remote.length > 0 && !ctx.allowRemote) {
      throw new ConfigError(
        `${spec.loc}: load: ${remote[0]} is not a loopback address (expected 127.0.0.1, localhost or ::1; pass --allow-remote to load another host)`,
      );
    }
    const windows: Window[] = [];
    const outcome = await runLoad(plan, {
      signal,
      onWindow: (w) => {
        windows.push(w);
        ctx.bus.emit({
          type: "window",
          runId: ctx.runId,
          ts: new Date(w.end).toISOString(),
          series: spec.name,
          window: toStored(w),
        });
        const s = summarize(w);
        ctx.bus.emit({
          type: "load-window",
          runId: ctx.runId,
          ts: new Date().toISOString(),
          name: spec.name,
          count: s.count,
          errors: s.errors,
          p99Ms: s.latencyMs.p99,
        });
      },
    });
    ctx.loads.set(spec.name, { windows, dropped: outcome.total.dropped });
    const s = summarize(outcome.total);
    const output = {
      requests: s.count,
      errors: s.errors,
      error_rate: s.errorRate,
      dropped: s.dropped,
      p50_ms: s.latencyMs.med,
      p99_ms: s.latencyMs.p99,
      max_ms: s.latencyMs.max,
      thresholds: outcome.thresholds.map((t) => ({
        metric: t.metric,
        expression: t.expression,
        ok: t.ok,
        actual: t.actual ?? null,
      })),
    };
    const failed = outcome.thresholds.filter((t) => !t.ok);
    if (failed.length > 0)
      throw new ActivityFailure(
        `load thresholds failed: ${failed.map((t) => `${t.metric} ${t.expression}`).join("; ")}`,
        output,
      );
    return output;
  }
  // A probe that only carries a load tolerance reads the load windows gathered so far.
  return null;
}

async function checkSpecTolerance(
  spec: ActivitySpec,
  output: unknown,
  ctx: RunContext,
  signal: AbortSignal,
): Promise<ToleranceResult> {
  const tol = spec.tolerance;
  if (tol === undefined) return { met: true, reason: "no tolerance" };
  if (typeof tol === "object" && !Array.isArray(tol) && "type" in tol) {
    if (tol.type === "load") {
      const sources =
        tol.load !== undefined ? [ctx.loads.get(tol.load)].flatMap((x) => x ?? []) : [...ctx.loads.values()];
      const windows = sources.flatMap((s) => s.windows);
      if (windows.length === 0)
        return {
          met: true,
          reason: tol.load
            ? `load ${tol.load} has not run yet: nothing to judge`
            : "no load has run yet: nothing to judge",
        };
      const summary = summarize(mergeWindows(windows));
      const failed: string[] = [];
      const passed: string[] = [];
      for (const t of tol.thresholds) {
        const parsed = parseThreshold(t.expression);
        if (!parsed.ok) return { met: false, reason: parsed.error };
        const r = evaluateThreshold(t.metric, parsed.threshold, summary);
        const shown = `${t.metric} ${t.expression} (actual ${r.actual === undefined ? "n/a" : Number(r.actual.toFixed(4))})`;
        (r.ok ? passed : failed).push(shown);
      }
      return failed.length === 0
        ? { met: true, reason: `${passed.join("; ")} over ${summary.count} requests` }
        : { met: false, reason: `${failed.join("; ")} over ${summary.count} requests` };
    }
    if (tol.type === "anomaly") {
      try {
        const v = await judgeAnomaly(tol.check, Date.now());
        return { met: !v.anomalous, reason: `anomaly ${tol.check.query}: ${v.reason}` };
      } catch (err) {
        return { met: false, reason: `anomaly ${tol.check.query}: ${(err as Error).message}` };
      }
    }
    if (tol.type === "probe") {
      try {
        const out = await execute(tol.activity, ctx, signal);
        const status = (out as { status?: number } | null)?.status;
        // Each kind says what success is (HTTP < 400, exit status 0): a tolerance that cannot fail proves nothing.
        const ok = tol.activity.provider !== undefined && probeKindOf(tol.activity).succeeded(out);
        return {
          met: ok,
          reason: `tolerance probe ${ok ? "succeeded" : "failed"}${status !== undefined ? ` (status ${status})` : ""}`,
        };
      } catch (err) {
        return { met: false, reason: `tolerance probe failed: ${(err as Error).message}` };
      }
    }
  }
  return checkTolerance(tol as PureTolerance, output);
}

/** The registered kind of an activity's provider (parsing has already refused any other). */
function probeKindOf(spec: ActivitySpec): ProbeKind {
  const kind = spec.provider ? PROBE_KINDS.get(spec.provider.type) : undefined;
  if (!kind)
    throw new ConfigError(
      `${spec.loc}: provider.type: unknown provider kind ${JSON.stringify(spec.provider?.type)}`,
    );
  return kind;
}

/** A fault through its kind's module: described in a dry run, else registered and applied. */
async function runFault(spec: ActivitySpec, fault: FaultSpec, ctx: RunContext): Promise<unknown> {
  const kind = faultKind(fault.kind);
  if (!kind)
    throw new ConfigError(`${spec.loc}: fault.kind: unknown fault kind ${JSON.stringify(fault.kind)}`);
  if (ctx.dryRun) {
    const d = await kind.describe(fault.params, { loc: spec.loc, services: ctx.services });
    return { dry_run: d.text, ...(d.targets ? { candidates: d.targets.map(describeTarget) } : {}) };
  }
  return await kind.inject(fault.params, {
    activity: spec.name,
    loc: spec.loc,
    registry: ctx.registry,
    services: ctx.services,
  });
}

/** Runs one activity: pauses, the provider, fault or load, the tolerance, and `save`. Never throws for activity failures. */
export async function runActivity(
  raw: RawActivity,
  phase: Phase,
  role: "hypothesis" | "method" | "rollback",
  ctx: RunContext,
  signal: AbortSignal,
): Promise<ActivityResult> {
  const spec = materialise(raw, ctx, role);
  const started = Date.now();
  ctx.bus.emit({
    type: "activity-started",
    runId: ctx.runId,
    ts: new Date(started).toISOString(),
    phase,
    name: spec.name,
    activityType: spec.type,
    background: spec.background,
  });
  // A dry run waits for nothing: its pauses are described, not slept.
  if (!ctx.dryRun) await sleep(spec.pauses.beforeMs, signal);
  let output: unknown = null;
  let status: "succeeded" | "failed" = "succeeded";
  let exception: string[] | undefined;
  let detail = "";
  try {
    output = await execute(spec, ctx, signal);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    status = "failed";
    output = err.output ?? null;
    exception = [`${err.name}: ${err.message}`];
    detail = err.message;
  }
  const checkTol = role === "hypothesis" || (role === "method" && ctx.native && spec.tolerance !== undefined);
  let toleranceMet: boolean | undefined;
  if (checkTol && !ctx.dryRun) {
    if (status === "failed") {
      toleranceMet = false;
    } else {
      const result = await checkSpecTolerance(spec, output, ctx, signal);
      toleranceMet = result.met;
      detail = result.reason;
    }
  } else if (checkTol) toleranceMet = true;
  if (spec.save && status === "succeeded") ctx.saved[spec.save] = output;
  const ended = Date.now();
  if (detail === "" && output && typeof output === "object") {
    const o = output as {
      status?: unknown;
      dry_run?: string;
      candidates?: string[];
    };
    if (o.dry_run !== undefined) {
      const hits = o.candidates?.map((c) => c.slice(0, 96));
      detail = hits ? `${o.dry_run} of ${hits.length} matching: ${hits.join("; ") || "none"}` : o.dry_run;
    } else if (o.status !== undefined) detail = `status ${String(o.status)}`;
  }
  ctx.bus.emit({
    type: "activity-finished",
    runId: ctx.runId,
    ts: new Date(ended).toISOString(),
    phase,
    name: spec.name,
    status,
    durationMs: ended - started,
    ...(toleranceMet !== undefined ? { toleranceMet } : {}),
    detail: redact(detail, ctx.secretValues),
  });
  if (!ctx.dryRun) await sleep(spec.pauses.afterMs, signal);
  const run: ActivityRun = {
    activity: redact(spec.raw, ctx.secretValues),
    output: redact(output, ctx.secretValues),
    start: new Date(started).toISOString(),
    end: new Date(ended).toISOString(),
    duration: (ended - started) / 1000,
    status,
    ...(exception ? { exception: redact(exception, ctx.secretValues) } : {}),
    ...(toleranceMet !== undefined ? { tolerance_met: toleranceMet } : {}),
  };
  return { run, spec, toleranceChecked: checkTol };
}
