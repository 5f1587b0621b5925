import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Slo } from "../../src/core/slo-model.js";
import { newWindow, recordSample, type Window } from "../../src/core/window.js";
import { judgeSlo } from "../../src/slo/hypothesis.js";

const HOUR = 3_600_000;
const slo: Slo = {
  name: "orders-availability",
  service: "orders",
  indicator: {
    name: "e",
    ratio: {
      counter: true,
      bad: { type: "withstand", query: "traffic" },
      total: { type: "withstand", query: "traffic" },
    },
  },
  periodMs: HOUR,
  rolling: true,
  budgetingMethod: "Occurrences",
  objectives: [{ target: 0.995 }],
  conditions: [],
  labels: {},
  loc: "slo.yaml:1:1",
};
const h = { file: "slo.yaml", name: "orders-availability", maxBudgetBurn: 0.005, loc: "e.yaml:1:1" };

function traffic(
  start: number,
  seconds: number,
  perSecond: number,
  failAt: (s: number, i: number) => boolean,
): Window[] {
  const out: Window[] = [];
  for (let s = 0; s < seconds; s++) {
    const w = newWindow(start + s * 1000);
    w.end = w.start + 1000;
    for (let i = 0; i < perSecond; i++)
      recordSample(w, {
        latencyMicros: 1000,
        status: failAt(s, i) ? 502 : 200,
        errorClass: failAt(s, i) ? "5xx" : undefined,
      });
    out.push(w);
  }
  return out;
}

describe("SLO-based hypotheses", () => {
  it("holds when the run burns less than its share of the budget", async () => {
    const windows = traffic(0, 12, 20, () => false);
    const v = await judgeSlo(h, slo, 0, 12_000, new Map([["traffic", { windows }]]));
    assert.equal(v.met, true);
    assert.equal(v.output.budget_burned, 0);
  });

  it("deviates when the run burns more than max-budget-burn: 5 failures in 240 over 12 s of a 1 h, 99.5% SLO", async () => {
    const windows = traffic(0, 12, 20, (s, i) => s === 3 && i < 5);
    const v = await judgeSlo(h, slo, 0, 12_000, new Map([["traffic", { windows }]]));
    assert.equal(v.met, false);
    // error ratio 5/240; burn = ratio / 0.005; share = burn x 12 s / 3600 s
    const expected = (5 / 240 / 0.005) * (12 / 3600);
    assert.ok(Math.abs(Number(v.output.budget_burned) - expected) < 1e-12);
    assert.match(
      v.reason,
      /^burned 1\.39% of the orders-availability budget \(max 0\.50%; error ratio 2\.08% over 240 events\)$/,
    );
  });

  it("deviates when a page alert would fire even if the share is small", async () => {
    const loose = { ...h, maxBudgetBurn: 1 };
    // A total outage in the last seconds: the page pair's short and long windows (scaled to a 1 h period) both burn.
    const windows = traffic(0, 12, 20, (s) => s >= 6);
    const v = await judgeSlo(loose, slo, 0, 12_000, new Map([["traffic", { windows }]]));
    assert.equal(v.met, false);
    assert.match(v.reason, /14\.4x page/);
  });
});
