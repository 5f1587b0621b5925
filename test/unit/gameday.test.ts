import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events.js";
import { faultTimes } from "../../src/core/incident-times.js";
import { OUTCOMES } from "../../src/core/run-outcome.js";
import { readGameDay } from "../../src/documents/gameday.js";
import { parseSource } from "../../src/documents/source.js";
import { stopToReverted } from "../../src/runs/gameday.js";
import { fixture } from "../helpers/paths.js";

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 14, 0, s)).toISOString();

describe("game days", () => {
  it("a tripped stop condition is an abort (exit 3), like withstand halt", () => {
    assert.deepEqual(OUTCOMES.stopped, { status: "aborted", deviated: false, exitCode: 3 });
  });

  it("a stop condition tripping detects a fault; the next passing probe after the revert is the recovery", () => {
    const runId = "r";
    const events: RunEvent[] = [
      {
        type: "fault-injected",
        runId,
        ts: at(0),
        faultId: "f1",
        kind: "process-pause",
        activity: "freeze",
        targets: [],
      },
      { type: "stop-condition-tripped", runId, ts: at(3), condition: "orders-answer", value: "timeout" },
      {
        type: "fault-reverted",
        runId,
        ts: at(4),
        faultId: "f1",
        kind: "process-pause",
        activity: "freeze",
        how: "SIGCONT",
      },
      {
        type: "activity-finished",
        runId,
        ts: at(6),
        phase: "hypothesis-after",
        name: "up",
        status: "succeeded",
        durationMs: 5,
        toleranceMet: true,
        detail: "",
      },
    ];
    const [t] = faultTimes(events);
    assert.equal(t?.detectMs, 3000);
    assert.equal(t?.recoverMs, 2000);
  });

  it("reads roles, steps and each kind of stop condition; names problems at file:line:col", () => {
    const text = `apiVersion: withstand/v1
kind: GameDay
spec:
  title: t
  participants: {owner: ana, observers: [bo]}
  steps:
    - experiment: {title: inline, method: []}
  stopConditions:
    - {prometheus: "http://127.0.0.1:9090", expr: "up == 0"}
    - {slo: ${fixture("slo", "orders.yaml")}, alert: page}
    - type: probe
      name: up
      provider: {type: http, url: "http://127.0.0.1:1/"}
      tolerance: 200
`;
    const r = readGameDay(parseSource("/tmp/gd.yaml", text).docs[0] as never);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.spec?.stopConditions.map((c) => c.kind),
      ["prometheus", "slo", "probe"],
    );
    assert.equal(r.spec?.intervalMs, 5000);
    assert.equal(r.spec?.steps[0]?.name, "inline");
    assert.deepEqual(r.spec?.participants?.observers, ["bo"]);

    // An inline step keeps its text as written: it is read again as its own Experiment document.
    const paused = readGameDay(
      parseSource(
        "/tmp/gd.yaml",
        text.replace(
          "experiment: {title: inline, method: []}",
          "experiment: {title: inline, method: [{type: probe, name: p, pauses: {before: 20}, provider: {type: http, url: 'http://127.0.0.1:1/'}}]}",
        ),
      ).docs[0] as never,
    );
    assert.deepEqual(paused.diagnostics, []);
    assert.deepEqual(
      (paused.spec?.steps[0]?.experiment?.method as { pauses: unknown }[] | undefined)?.[0]?.pauses,
      {
        before: 20,
      },
    );

    const bad = readGameDay(
      parseSource("/tmp/bad.yaml", text.replace("tolerance: 200", "tolerance: 200\n      bogus: 1"))
        .docs[0] as never,
    );
    assert.ok(
      bad.diagnostics.some((d) => d.line === 15 && d.path.endsWith("bogus") && /unknown key/.test(d.message)),
      JSON.stringify(bad.diagnostics),
    );
  });

  it("stop to reverted: the trip to the revert of what was held; nothing held is no number", () => {
    const runId = "child";
    const started: RunEvent = { type: "run-started", runId, ts: at(0), title: "s", source: "s" };
    const finished: RunEvent = {
      type: "run-finished",
      runId,
      ts: at(9),
      status: "aborted",
      deviated: false,
      outcome: "halted",
      reason: "halted",
      exitCode: 3,
      durationMs: 9000,
    };
    const fault = (type: "fault-injected" | "fault-reverted", id: string, s: number): RunEvent =>
      type === "fault-injected"
        ? { type, runId, ts: at(s), faultId: id, kind: "process-pause", activity: id, targets: [] }
        : { type, runId, ts: at(s), faultId: id, kind: "process-pause", activity: id, how: "SIGCONT" };
    // A sleep that held nothing: its wait until the run finished is not a revert.
    assert.deepEqual(stopToReverted([started, finished], at(2), "experiment"), {
      held: [],
      allReverted: true,
    });
    // A fault reverted before the trip was not held; the one held is reverted 1 s after the trip.
    const held = stopToReverted(
      [
        started,
        fault("fault-injected", "a", 1),
        fault("fault-reverted", "a", 1),
        fault("fault-injected", "b", 1),
        fault("fault-reverted", "b", 3),
        finished,
      ],
      at(2),
      "experiment",
    );
    assert.deepEqual(held, { held: ["fault process-pause (b)"], allReverted: true, revertedMs: 1000 });
    // A load run holds its load until its run ends.
    assert.equal(stopToReverted([started, finished], at(2), "load").revertedMs, 7000);
  });
});
