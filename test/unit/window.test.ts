import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeHistogram, LatencyBatch } from "../../src/core/histogram.js";
import {
  flushBatches,
  fromStored,
  mergeWindows,
  newWindow,
  recordSample,
  toStored,
} from "../../src/core/window.js";

const samples = fc.array(
  fc.record({ latency: fc.integer({ min: 1, max: 10_000_000 }), error: fc.boolean() }),
  { maxLength: 200 },
);

function windowOf(start: number, list: { latency: number; error: boolean }[]) {
  const w = newWindow(start);
  for (const s of list)
    recordSample(w, {
      latencyMicros: s.latency,
      status: s.error ? 500 : 200,
      errorClass: s.error ? "5xx" : undefined,
    });
  w.end = start + 1000;
  return w;
}

describe("windows", () => {
  it("record batched latencies exactly as one by one, small and large, fractional and out of range", () => {
    const micros = fc.oneof(
      fc.double({ min: -5, max: 70_000, noNaN: true }),
      fc.integer({ min: 60_000, max: 5_000_000_000 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ l: micros, s: micros }), { maxLength: 300 }),
        fc.nat({ max: 3 }),
        (samples, reuse) => {
          const direct = newWindow(0);
          const batched = newWindow(0);
          const batches = { latency: new LatencyBatch(), service: new LatencyBatch() };
          // A batch is reused after a flush: what it held before must not leak into the next window.
          for (let i = 0; i < reuse; i++) {
            batches.latency.add(123);
            flushBatches(newWindow(0), batches);
          }
          for (const x of samples) {
            recordSample(direct, { latencyMicros: x.l, serviceMicros: x.s, status: 200 });
            recordSample(batched, { latencyMicros: x.l, serviceMicros: x.s, status: 200 }, batches);
          }
          flushBatches(batched, batches);
          assert.equal(encodeHistogram(batched.latency), encodeHistogram(direct.latency));
          assert.equal(encodeHistogram(batched.service), encodeHistogram(direct.service));
          assert.equal(batched.count, direct.count);
          assert.equal(batched.latency.maxValue, direct.latency.maxValue);
          assert.equal(batched.latency.minNonZeroValue, direct.latency.minNonZeroValue);
        },
      ),
    );
  });

  it("merge exactly: merging windows equals recording everything in one", () => {
    fc.assert(
      fc.property(samples, samples, samples, (a, b, c) => {
        const merged = mergeWindows([windowOf(0, a), windowOf(1000, b), windowOf(2000, c)]);
        const whole = windowOf(0, [...a, ...b, ...c]);
        assert.equal(merged.count, whole.count);
        assert.equal(merged.errors, whole.errors);
        assert.equal(merged.latency.totalCount, whole.latency.totalCount);
        for (const p of [50, 90, 99, 100])
          assert.equal(merged.latency.getValueAtPercentile(p), whole.latency.getValueAtPercentile(p));
        assert.deepEqual(merged.statusCodes, whole.statusCodes);
      }),
      { numRuns: 40 },
    );
  });

  it("merge associatively", () => {
    fc.assert(
      fc.property(samples, samples, samples, (a, b, c) => {
        const [wa, wb, wc] = [windowOf(0, a), windowOf(0, b), windowOf(0, c)];
        const left = mergeWindows([mergeWindows([wa, wb]), wc]);
        const right = mergeWindows([wa, mergeWindows([wb, wc])]);
        assert.equal(left.count, right.count);
        assert.equal(left.latency.getValueAtPercentile(99), right.latency.getValueAtPercentile(99));
      }),
      { numRuns: 30 },
    );
  });

  it("survive storage as base64 histograms", () => {
    const w = windowOf(0, [
      { latency: 1500, error: false },
      { latency: 250_000, error: true },
    ]);
    const back = fromStored(JSON.parse(JSON.stringify(toStored(w))));
    assert.equal(back.latency.totalCount, 2);
    assert.equal(back.latency.getValueAtPercentile(100), w.latency.getValueAtPercentile(100));
    assert.equal(back.errors, 1);
  });
});
