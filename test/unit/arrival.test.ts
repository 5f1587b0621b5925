import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ArrivalSchedule, segmentIndexes, shareOf, vusAt } from "../../src/core/arrival.js";
import { parseRate, parseSegment } from "../../src/core/load-plan.js";

describe("arrival schedules", () => {
  it("spaces a constant rate evenly and sends rate x duration requests", () => {
    const s = new ArrivalSchedule({ type: "constant-arrival-rate", rate: 1000, durationMs: 2000 });
    assert.equal(s.totalRequests, 2000);
    assert.equal(s.timeOf(0), 0);
    assert.equal(s.timeOf(1), 1);
    assert.equal(s.timeOf(1999), 1999);
    assert.equal(s.timeOf(2000), undefined);
  });

  it("ramps linearly: a 0 to 100/s ramp over 10 s sends 500 requests, denser at the end", () => {
    const s = new ArrivalSchedule({
      type: "ramping-arrival-rate",
      startRate: 0,
      stages: [{ target: 100, durationMs: 10_000 }],
    });
    assert.equal(s.totalRequests, 500);
    const firstGap = (s.timeOf(1) ?? 0) - (s.timeOf(0) ?? 0);
    const lastGap = (s.timeOf(499) ?? 0) - (s.timeOf(498) ?? 0);
    assert.ok(firstGap > lastGap * 5);
  });

  it("is monotonic and within the schedule's duration (property)", () => {
    const stage = fc.record({
      target: fc.integer({ min: 0, max: 2000 }),
      durationMs: fc.integer({ min: 1, max: 5000 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.array(stage, { minLength: 1, maxLength: 4 }),
        (startRate, stages) => {
          const s = new ArrivalSchedule({ type: "ramping-arrival-rate", startRate, stages });
          let prev = -1;
          for (let k = 0; k < Math.min(s.totalRequests, 3000); k++) {
            const t = s.timeOf(k);
            assert.ok(t !== undefined && t >= prev - 1e-6 && t <= s.durationMs + 1e-6);
            prev = t;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("segments partition the schedule exactly (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 500 }), (n, total) => {
        const seen = new Set<number>();
        for (let i = 1; i <= n; i++) {
          const { first, step } = segmentIndexes({ index: i, count: n });
          for (let k = first; k < total; k += step) {
            assert.ok(!seen.has(k));
            seen.add(k);
          }
        }
        assert.equal(seen.size, total);
        let shares = 0;
        for (let i = 1; i <= n; i++) shares += shareOf(total, { index: i, count: n });
        assert.equal(shares, total);
      }),
    );
  });

  it("ramps VUs and parses rates and segments", () => {
    const e = {
      type: "ramping-vus" as const,
      startVUs: 0,
      stages: [
        { target: 10, durationMs: 1000 },
        { target: 10, durationMs: 1000 },
      ],
    };
    assert.equal(vusAt(e, 500), 5);
    assert.equal(vusAt(e, 1500), 10);
    assert.equal(parseRate("1000/s"), 1000);
    assert.equal(parseRate("600/m"), 10);
    assert.equal(parseRate("abc"), undefined);
    assert.deepEqual(parseSegment("2/4"), { index: 2, count: 4 });
    assert.equal(parseSegment("5/4"), undefined);
  });
});
