/**
 * The session's lifecycle (engine/lifecycle.ts) with a real SQLite store: whatever a kind's
 * execution does, the run is announced once, ended once, stored with the status and exit code of
 * the one outcome table, and its services are stopped.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { WithstandError } from "../../src/core/errors.js";
import { OUTCOMES, type Outcome } from "../../src/core/run-outcome.js";
import { runLifecycle } from "../../src/engine/lifecycle.js";
import { defineRunKind, type KindResult, type RunScope } from "../../src/engine/run-kind.js";
import { defineService } from "../../src/engine/service.js";
import { openStore } from "../../src/store/open.js";

const dir = mkdtempSync(join(tmpdir(), "withstand-lifecycle-"));
const store = openStore(join(dir, "runs.db"));
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const log: string[] = [];
const service = defineService<{ name: string }, string>({
  name: "recorder",
  provides: "a name, and a log of its start and stop",
  declared: (spec) => (spec as { service?: { name: string } }).service,
  async start(config) {
    log.push(`start ${config.name}`);
    return { handle: config.name, stop: async () => void log.push(`stop ${config.name}`) };
  },
});

type Spec = { title: string; service?: { name: string }; run(scope: RunScope): Promise<KindResult> };
const kind = defineRunKind<Spec, Record<string, never>>({
  name: "probe-run",
  documentKinds: [],
  outcomes: Object.keys(OUTCOMES) as Outcome[],
  dryRuns: false,
  header: (s) => ({ title: s.title, source: "test" }),
  services: (spec) => ({ spec, scopes: [], file: "test" }),
  execute: (s, scope) => s.run(scope),
  view: { label: "probe runs", checks: () => [] },
});

async function stored(runId: string) {
  const run = await store.getRun(runId);
  assert.ok(run);
  const types = run.events.map((e) => e.type);
  assert.equal(types.filter((t) => t === "run-started").length, 1, types.join());
  assert.equal(types.filter((t) => t === "run-finished").length, 1, types.join());
  return run;
}

describe("the run lifecycle", () => {
  for (const outcome of ["held", "rolled-back", "thresholds-failed", "not-started"] as const)
    it(`stores ${outcome} as the table says`, async () => {
      const r = await runLifecycle(
        kind,
        { title: outcome, run: async () => ({ outcome, reason: "r" }) },
        { store },
      );
      const run = await stored(r.runId);
      const want = OUTCOMES[outcome];
      assert.deepEqual(
        [run.status, run.deviated, run.outcome, r.exitCode],
        [want.status, want.deviated, outcome, want.exitCode],
      );
    });

  it("bad input found while running is invalid (exit 2), a bug crashed (exit 70); both recorded", async () => {
    const bad = await runLifecycle(
      kind,
      {
        title: "bad",
        run: async () => {
          throw new WithstandError("WS_USAGE", "x.yaml:1:2: nope");
        },
      },
      { store },
    );
    assert.deepEqual([bad.outcome, bad.exitCode, bad.usageError], ["invalid", 2, "x.yaml:1:2: nope"]);
    assert.equal((await stored(bad.runId)).status, "failed");
    const bug = await runLifecycle(
      kind,
      {
        title: "bug",
        run: async () => {
          throw new TypeError("oops");
        },
      },
      { store },
    );
    assert.deepEqual([bug.outcome, bug.exitCode], ["crashed", 70]);
    assert.match(bug.reason, /bug in withstand.*oops/s);
    await stored(bug.runId);
  });

  it("starts the declared service, hands it out by name, and stops it after a stop from outside", async () => {
    log.length = 0;
    const stop = new AbortController();
    let seen: string | undefined;
    const spec: Spec = {
      title: "stopped",
      service: { name: "svc" },
      run: (scope) =>
        new Promise((resolve) => {
          seen = scope.services.get<string>("recorder");
          scope.signal.addEventListener("abort", () =>
            resolve({ outcome: "interrupted", reason: "stopped" }),
          );
          stop.abort("halted");
        }),
    };
    const r = await runLifecycle(kind, spec, { store, signal: stop.signal, services: [service] });
    assert.equal(seen, "svc");
    assert.deepEqual(log, ["start svc", "stop svc"]);
    assert.equal((await stored(r.runId)).status, "interrupted");
  });
});
