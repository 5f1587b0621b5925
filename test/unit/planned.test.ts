import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events.js";
import { faultWindows, gapsBetween, mergeWindows, plannedMaskExpr } from "../../src/core/planned.js";

const at = (s: number) => new Date(s * 1000).toISOString();
const injected = (id: string, s: number): RunEvent => ({
  type: "fault-injected",
  runId: "r",
  ts: at(s),
  faultId: id,
  kind: "process-pause",
  activity: "a",
  targets: [],
});
const reverted = (id: string, s: number): RunEvent => ({
  type: "fault-reverted",
  runId: "r",
  ts: at(s),
  faultId: id,
  kind: "process-pause",
  activity: "a",
  how: "revert",
});

describe("planned chaos windows", () => {
  it("a run's faults make windows from injection to revert; overlapping faults join; an unreverted one lasts to the run's end", () => {
    const w = faultWindows(
      "r",
      [injected("a", 10), injected("b", 15), reverted("a", 20), reverted("b", 25), injected("c", 40)],
      60_000,
    );
    assert.deepEqual(
      w.map((x) => [x.start / 1000, x.end / 1000]),
      [
        [10, 25],
        [40, 60],
      ],
    );
  });

  it("windows of several runs merge and keep every run", () => {
    const m = mergeWindows([
      { start: 50, end: 60, runs: ["y"] },
      { start: 0, end: 10, runs: ["x"] },
      { start: 5, end: 20, runs: ["y"] },
    ]);
    assert.deepEqual(m, [
      { start: 0, end: 20, runs: ["x", "y"] },
      { start: 50, end: 60, runs: ["y"] },
    ]);
  });

  it("the gaps leave the windows out; aligned to slices, a touched slice is out whole", () => {
    const w = [{ start: 15, end: 25, runs: ["r"] }];
    assert.deepEqual(gapsBetween(w, 0, 100), [
      { start: 0, end: 15 },
      { start: 25, end: 100 },
    ]);
    assert.deepEqual(gapsBetween(w, 0, 100, 10), [
      { start: 0, end: 10 },
      { start: 30, end: 100 },
    ]);
    assert.deepEqual(gapsBetween([], 0, 100), [{ start: 0, end: 100 }]);
  });

  it("the PromQL mask covers every step that overlaps a window, and nothing when there is none", () => {
    assert.equal(
      plannedMaskExpr([{ start: 60_000, end: 90_000, runs: [] }], 60_000),
      "(vector(time()) > 60 and vector(time()) < 150)",
    );
    assert.equal(plannedMaskExpr([], 60_000), "vector(1) unless on() vector(1)");
  });
});
