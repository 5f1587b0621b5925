import type { ActivityRun, Journal } from "../core/journal.js";
import type { RunDetail } from "../store/store.js";

/** One pass/fail line of a run: a JUnit test case, a row of `runs show`, a check in a report. */
export interface Check {
  suite: string;
  name: string;
  ok: boolean;
  message: string;
  seconds: number;
}

/**
 * What each kind of run means to the views: its checks and the reason of its verdict. The reports,
 * `runs show` and JUnit read runs through this registry; a new run kind (checks, synthetics) is one
 * entry here.
 */
export interface RunKind {
  kind: string;
  checks(run: RunDetail): Check[];
}

function probeChecks(suite: string, probes: readonly ActivityRun[]): Check[] {
  return probes.map((p) => {
    const name = String(p.activity.name ?? "probe");
    const ok = p.status === "succeeded" && p.tolerance_met !== false;
    const message =
      p.status === "failed"
        ? (p.exception ?? ["failed"]).join(" ").slice(0, 500)
        : p.tolerance_met === false
          ? `tolerance not met (output: ${JSON.stringify(p.output)?.slice(0, 300)})`
          : "ok";
    return { suite, name, ok, message, seconds: p.duration };
  });
}

const experiment: RunKind = {
  kind: "experiment",
  checks(run) {
    if (!run.journal) return [];
    const j: Journal = run.journal;
    const out = [
      ...probeChecks("steady state before", j.steady_states.before?.probes ?? []),
      ...j.run.map((a) => ({
        suite: "method",
        name: String(a.activity.name ?? "activity"),
        ok: a.status === "succeeded",
        message: a.status === "failed" ? (a.exception ?? ["failed"]).join(" ").slice(0, 500) : "ok",
        seconds: a.duration,
      })),
      ...probeChecks("steady state after", j.steady_states.after?.probes ?? []),
      ...j.withstand.faults.map((f) => ({
        suite: "faults reverted",
        name: `${f.kind} ${f.activity}`,
        ok: f.reverted_at !== null,
        message: f.reverted_at ? f.revert : "never reverted",
        seconds: f.reverted_at ? (Date.parse(f.reverted_at) - Date.parse(f.injected_at)) / 1000 : 0,
      })),
    ];
    return out;
  },
};

const load: RunKind = {
  kind: "load",
  checks(run) {
    const metrics = (
      run.result as { metrics?: Record<string, { thresholds?: Record<string, { ok: boolean }> }> }
    )?.metrics;
    return Object.entries(metrics ?? {}).flatMap(([metric, m]) =>
      Object.entries(m.thresholds ?? {}).map(([expr, t]) => ({
        suite: "thresholds",
        name: `${metric} ${expr}`,
        ok: t.ok,
        message: t.ok ? "ok" : `threshold ${metric} ${expr} crossed`,
        seconds: 0,
      })),
    );
  },
};

const rollout: RunKind = {
  kind: "rollout",
  checks(run) {
    return run.events.flatMap((e) =>
      e.type === "rollout-measurement"
        ? [
            {
              suite: e.step < 0 ? "background analysis" : `step ${e.step + 1} analysis`,
              name: `measurement ${e.index + 1}`,
              ok: e.phase === "Successful",
              message: e.reason,
              seconds: 0,
            },
          ]
        : [],
    );
  },
};

/** A synthetic transaction: one check per step, with the step's first failure. */
const synthetic: RunKind = {
  kind: "synthetic",
  checks(run) {
    const steps = (
      run.result as {
        steps?: { name: string; status: string; failures: string[]; responseTimeMs: number }[];
      } | null
    )?.steps;
    return (steps ?? []).map((s) => ({
      suite: "steps",
      name: s.name,
      ok: s.status !== "failed",
      message: s.status === "failed" ? (s.failures[0] ?? "failed") : s.status,
      seconds: s.responseTimeMs / 1000,
    }));
  },
};

/** A pact verification: one check per interaction, with its first mismatch. */
const pact: RunKind = {
  kind: "pact",
  checks(run) {
    const results = (
      run.result as {
        results?: {
          consumer: string;
          description: string;
          status: string;
          error?: string;
          mismatches: { path: string; mismatch: string }[];
          durationMs: number;
        }[];
      } | null
    )?.results;
    return (results ?? []).map((r) => {
      const first = r.mismatches[0];
      return {
        suite: r.consumer,
        name: r.description,
        ok: r.status === "verified" || r.status === "not-http" || r.status === "pending",
        message: r.error ?? (first ? `${first.path} ${first.mismatch}`.trim() : r.status),
        seconds: r.durationMs / 1000,
      };
    });
  },
};

export const RUN_KINDS: ReadonlyMap<string, RunKind> = new Map(
  [experiment, load, rollout, synthetic, pact].map((k) => [k.kind, k]),
);

/** The pass/fail checks of a run, whatever its kind: hypothesis probes, thresholds, analyses. */
export function checksOf(run: RunDetail): Check[] {
  return RUN_KINDS.get(run.kind)?.checks(run) ?? [];
}

/** Why the run ended as it did: the journal's reason, else the run-finished event's (every run kind emits one). */
export function reasonOf(run: RunDetail): string {
  if (run.journal) return run.journal.withstand.reason;
  const finished = run.events.findLast((e) => e.type === "run-finished");
  if (finished?.type === "run-finished") return finished.reason;
  const r = run.result as { reason?: string } | null;
  return r?.reason ?? run.outcome ?? run.status;
}
