import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RollbackStrategy } from "../../src/core/experiment.js";
import { decide, PHASES, playsRollbacks, type RunFacts } from "../../src/core/verdict.js";

const met = { met: true, probeFailed: false, probe: "p" };
const missed = { met: false, probeFailed: false, probe: "p" };
const errored = { met: false, probeFailed: true, probe: "p" };

describe("the experiment verdict (a pure table)", () => {
  const rows: [
    string,
    RunFacts,
    { status: string; outcome: string; deviated: boolean; exitCode: number; reason: RegExp },
  ][] = [
    [
      "held",
      { hasHypothesis: true, before: met, after: met },
      { status: "completed", outcome: "held", deviated: false, exitCode: 0, reason: /^steady state held$/ },
    ],
    [
      "no hypothesis says so",
      { hasHypothesis: false },
      { status: "completed", outcome: "held", deviated: false, exitCode: 0, reason: /no hypothesis/ },
    ],
    [
      "unmet before: the method did not run",
      { hasHypothesis: true, before: missed },
      {
        status: "failed",
        outcome: "hypothesis-unmet-before-method",
        deviated: false,
        exitCode: 1,
        reason: /before the method .* not run/,
      },
    ],
    [
      "unmet after",
      { hasHypothesis: true, before: met, after: missed },
      { status: "completed", outcome: "deviated", deviated: true, exitCode: 1, reason: /after the method/ },
    ],
    // chaoslib: a probe that errors after the method is still a deviation (journal spec: MUST).
    [
      "errored after: failed AND deviated",
      { hasHypothesis: true, before: met, after: errored },
      { status: "failed", outcome: "failed", deviated: true, exitCode: 1, reason: /after the method/ },
    ],
    [
      "a method probe out of tolerance",
      { hasHypothesis: true, before: met, after: met, methodProbeMiss: "m" },
      { status: "completed", outcome: "deviated", deviated: true, exitCode: 1, reason: /method probe m/ },
    ],
    [
      "unmet during, fail fast",
      { hasHypothesis: true, continuousMiss: "c", failFast: true },
      {
        status: "completed",
        outcome: "deviated",
        deviated: true,
        exitCode: 1,
        reason: /during the method .*fail fast/,
      },
    ],
    [
      "after wins over the method's reason",
      { hasHypothesis: true, methodProbeMiss: "m", after: missed },
      { status: "completed", outcome: "deviated", deviated: true, exitCode: 1, reason: /after the method/ },
    ],
    [
      "Ctrl-C",
      { hasHypothesis: true, stopped: "interrupted" },
      { status: "interrupted", outcome: "interrupted", deviated: false, exitCode: 3, reason: /signal/ },
    ],
    [
      "halt",
      { hasHypothesis: true, stopped: "halted" },
      { status: "aborted", outcome: "halted", deviated: false, exitCode: 3, reason: /withstand halt/ },
    ],
    [
      "deadline",
      { hasHypothesis: true, stopped: "deadline", after: missed },
      { status: "aborted", outcome: "deadline", deviated: false, exitCode: 3, reason: /deadline/ },
    ],
    [
      "bad input",
      { hasHypothesis: true, usageError: "x.yaml:3:4: nope" },
      { status: "failed", outcome: "invalid", deviated: false, exitCode: 2, reason: /^x\.yaml:3:4: nope$/ },
    ],
    [
      "a bug is 70, never a finding",
      { hasHypothesis: true, crash: "TypeError" },
      { status: "failed", outcome: "crashed", deviated: false, exitCode: 70, reason: /bug in withstand/ },
    ],
    [
      "a fault that did not hold (OOM-killed stressor) fails the run even when the steady state held",
      {
        hasHypothesis: true,
        before: met,
        after: met,
        faultFailed: "memory-stress (m): killed at 80MiB of 512MiB",
      },
      {
        status: "failed",
        outcome: "fault-failed",
        deviated: false,
        exitCode: 1,
        reason: /did not do what it said.*80MiB/,
      },
    ],
  ];
  for (const [name, facts, want] of rows)
    it(name, () => {
      const v = decide(facts);
      assert.deepEqual(
        { status: v.status, outcome: v.outcome, deviated: v.deviated, exitCode: v.exitCode },
        { status: want.status, outcome: want.outcome, deviated: want.deviated, exitCode: want.exitCode },
      );
      assert.match(v.reason, want.reason);
    });

  it("rollbacks follow Chaos Toolkit: default skips them only when its own status failed", () => {
    const cases: [RollbackStrategy, RunFacts, boolean][] = [
      ["default", { hasHypothesis: true, before: met, after: met }, true],
      ["default", { hasHypothesis: true, before: missed }, true],
      ["default", { hasHypothesis: true, before: errored }, false],
      ["default", { hasHypothesis: true, after: errored }, false],
      ["deviated", { hasHypothesis: true, after: missed }, true],
      ["deviated", { hasHypothesis: true, after: met }, false],
      ["never", { hasHypothesis: true, after: missed }, false],
      ["always", { hasHypothesis: true, stopped: "interrupted" }, true],
      ["default", { hasHypothesis: true, stopped: "interrupted" }, false],
      ["always", { hasHypothesis: true, usageError: "x" }, false],
    ];
    for (const [strategy, facts, plays] of cases)
      assert.equal(playsRollbacks(strategy, decide(facts)), plays, `${strategy} ${JSON.stringify(facts)}`);
  });

  it("the strategies' phases", () => {
    assert.deepEqual(PHASES.default, { before: true, during: false, after: true });
    assert.deepEqual(PHASES.continuously, { before: true, during: true, after: true });
    assert.deepEqual(PHASES["during-method-only"], { before: false, during: true, after: false });
  });
});
