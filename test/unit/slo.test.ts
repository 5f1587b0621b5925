import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  burnRate,
  burnRatePairs,
  canEverFire,
  DAY_MS,
  detectionTimeMs,
  occurrencesStatus,
  promDuration,
  timeslicesStatus,
  timeToExhaustionMs,
} from "../../src/core/slo.js";

const MONTH = 30 * DAY_MS;

describe("SLO arithmetic: the SRE workbook's numbers (golden)", () => {
  it("uses the 14.4 / 6 / 3 / 1 pairs with 1h/5m, 6h/30m, 1d/2h, 3d/6h at 30 days", () => {
    const pairs = burnRatePairs(MONTH);
    assert.deepEqual(
      pairs.map((p) => [
        p.severity,
        Number(p.factor.toFixed(6)),
        promDuration(p.longMs),
        promDuration(p.shortMs),
      ]),
      [
        ["page", 14.4, "1h", "5m"],
        ["page", 6, "6h", "30m"],
        ["ticket", 3, "1d", "2h"],
        ["ticket", 1, "3d", "6h"],
      ],
    );
  });

  it("fires the 14.4x page about 52 s into a total outage at 99.9%", () => {
    const page = burnRatePairs(MONTH)[0];
    assert.ok(page);
    const t = detectionTimeMs(1, 0.999, page.factor, page.longMs);
    assert.ok(Math.abs(t - 51_840) < 1, `${t}`);
  });

  it("exhausts the budget in 30 d, 15 d, 3 d and about 43 min at burn rates 1, 2, 10 and 1000", () => {
    assert.equal(timeToExhaustionMs(1, MONTH), 30 * DAY_MS);
    assert.equal(timeToExhaustionMs(2, MONTH), 15 * DAY_MS);
    assert.equal(timeToExhaustionMs(10, MONTH), 3 * DAY_MS);
    assert.equal(Math.round((timeToExhaustionMs(1000, MONTH) / 60_000) * 10) / 10, 43.2);
  });

  it("detects 15% errors with the 1h/5m pair after about 5.8 min and resets 5 min after they stop", () => {
    const page = burnRatePairs(MONTH)[0];
    assert.ok(page);
    const threshold = 0.001 * page.factor;
    // Simulate minute by minute: 10 minutes at 15% errors, then clean traffic.
    const errorAt = (minute: number) => (minute >= 0 && minute < 10 ? 0.15 : 0);
    const ratio = (end: number, windowMin: number) => {
      let sum = 0;
      for (let m = end - windowMin; m < end; m++) sum += errorAt(m);
      return sum / windowMin;
    };
    let fired: number | undefined;
    let reset: number | undefined;
    for (let t = 1; t <= 120; t++) {
      const on = ratio(t, 60) > threshold && ratio(t, 5) > threshold;
      if (on && fired === undefined) fired = t;
      if (!on && fired !== undefined && reset === undefined) reset = t;
    }
    // The long window crosses 1.44% after 0.0144 / 0.15 x 60 = 5.76 min; with per-minute evaluation that is minute 6.
    assert.ok(Math.abs(detectionTimeMs(0.15, 0.999, page.factor, page.longMs) / 60_000 - 5.76) < 1e-9);
    assert.equal(fired, 6);
    // The 5 m short window clears 5 minutes after the errors stop (the 1 h window alone would hold it for an hour).
    assert.equal(reset, 15);
  });

  it("warns when an alert can never fire: 90% with a 14.4x page", () => {
    assert.equal(canEverFire(0.9, 14.4), false);
    assert.equal(canEverFire(0.999, 14.4), true);
  });
});

describe("SLO arithmetic (properties)", () => {
  it("remaining budget falls monotonically as bad events grow", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (total, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const less = occurrencesStatus(total - Math.min(lo, total), total, 0.999);
          const more = occurrencesStatus(total - Math.min(hi, total), total, 0.999);
          assert.ok(more.budgetRemainingFraction <= less.budgetRemainingFraction);
          assert.ok(burnRate(more.errorRatio, 0.999) >= burnRate(less.errorRatio, 0.999));
        },
      ),
    );
  });

  it("Occurrences and RatioTimeslices agree on uniform traffic", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (slices, perSlice, badPerMille) => {
          const bad = Math.floor((perSlice * badPerMille) / 1000);
          const list = Array.from({ length: slices }, () => ({ good: perSlice - bad, total: perSlice }));
          const occ = occurrencesStatus(slices * (perSlice - bad), slices * perSlice, 0.99);
          const ts = timeslicesStatus(list, 0.99, 60_000, MONTH, "RatioTimeslices");
          assert.ok(Math.abs(occ.sli - ts.sli) < 1e-9);
        },
      ),
    );
  });
});
