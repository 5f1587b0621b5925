import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OUTCOMES, type Outcome, stoppedOutcome } from "../../src/core/run-outcome.js";
import { RUN_KINDS } from "../../src/runs/index.js";

describe("the one outcome table", () => {
  const rows = Object.entries(OUTCOMES) as [Outcome, (typeof OUTCOMES)[Outcome]][];

  it("gives one meaning to each status: completed is 0 or 1, aborted and interrupted 3", () => {
    for (const [outcome, m] of rows) {
      if (m.status === "completed") assert.equal(m.exitCode, m.deviated ? 1 : 0, outcome);
      if (m.status === "aborted" || m.status === "interrupted") assert.equal(m.exitCode, 3, outcome);
      if (m.deviated) assert.equal(m.exitCode, 1, `${outcome}: a system that failed the judgement exits 1`);
    }
  });

  it("stores a rolled-back rollout and a load over its thresholds alike", () => {
    assert.deepEqual(OUTCOMES["rolled-back"], OUTCOMES["thresholds-failed"]);
    assert.deepEqual(OUTCOMES["rolled-back"], { status: "completed", deviated: true, exitCode: 1 });
  });

  it("maps bad input to 2 and a bug to 70, never to a finding", () => {
    assert.deepEqual([OUTCOMES.invalid.exitCode, OUTCOMES.crashed.exitCode], [2, 70]);
    assert.equal(OUTCOMES.crashed.deviated, false);
  });

  it("names a stop by its reason", () => {
    assert.deepEqual(["halted", "deadline", "interrupted", undefined, "x"].map(stoppedOutcome), [
      "halted",
      "deadline",
      "interrupted",
      "interrupted",
      "interrupted",
    ]);
  });

  it("every run kind's outcomes are in the table, and every kind can be invalid or crash", () => {
    for (const kind of RUN_KINDS.values()) {
      for (const o of kind.outcomes) assert.ok(o in OUTCOMES, `${kind.name}: ${o}`);
      assert.ok(kind.outcomes.includes("invalid") && kind.outcomes.includes("crashed"), kind.name);
    }
  });
});
