import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { recordMicros } from "../../src/core/histogram.js";
import { compare, evaluateThreshold, parseThreshold } from "../../src/core/threshold.js";
import { newWindow, recordSample, summarize } from "../../src/core/window.js";

describe("k6 thresholds", () => {
  it("parses the k6 forms", () => {
    for (const expr of [
      "p(99)<300",
      "p(99.9) <= 1000",
      "rate<0.01",
      "avg<200",
      "med>=1",
      "count>100",
      "max!=0",
      "min==1",
    ]) {
      const r = parseThreshold(expr);
      assert.equal(r.ok, true, expr);
    }
    const p = parseThreshold("p(95)<250");
    assert.ok(p.ok);
    assert.deepEqual(p.threshold.aggregation, { kind: "p", percentile: 95 });
    assert.equal(p.threshold.op, "<");
    assert.equal(p.threshold.value, 250);
  });

  it("rejects malformed expressions with what was expected", () => {
    const r = parseThreshold("p99 < 300");
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.error.includes('expected AGGREGATION OPERATOR NUMBER, e.g. "p(99)<300"'));
    assert.equal(parseThreshold("p(101)<3").ok, false);
  });

  it("never throws on any input", () => {
    fc.assert(fc.property(fc.string(), (s) => void parseThreshold(s)));
  });

  it("round-trips generated valid expressions", () => {
    const agg = fc.oneof(
      fc.constantFrom("avg", "min", "max", "med", "count", "rate"),
      fc.integer({ min: 0, max: 100 }).map((n) => `p(${n})`),
    );
    const op = fc.constantFrom("<", "<=", ">", ">=", "==", "!=");
    fc.assert(
      fc.property(agg, op, fc.integer({ min: 0, max: 1_000_000 }), (a, o, n) => {
        const r = parseThreshold(`${a}${o}${n}`);
        assert.ok(r.ok);
        assert.equal(r.threshold.value, n);
        assert.equal(r.threshold.op, o);
      }),
    );
  });

  it("evaluates over a window's summary in milliseconds", () => {
    const w = newWindow(0);
    for (let i = 1; i <= 100; i++)
      recordSample(w, {
        latencyMicros: i * 1000,
        status: i <= 98 ? 200 : 500,
        errorClass: i <= 98 ? undefined : "5xx",
      });
    w.end = 1000;
    const s = summarize(w);
    const p99 = parseThreshold("p(99)<100");
    assert.ok(p99.ok);
    assert.equal(evaluateThreshold("http_req_duration", p99.threshold, s).ok, true);
    const rate = parseThreshold("rate<0.01");
    assert.ok(rate.ok);
    const r = evaluateThreshold("http_req_failed", rate.threshold, s);
    assert.equal(r.ok, false);
    assert.equal(r.actual, 0.02);
    assert.equal(compare(1, "<=", 1), true);
  });

  it("records microseconds with 3 significant digits", () => {
    const w = newWindow(0);
    recordMicros(w.latency, 123_456);
    const v = w.latency.getValueAtPercentile(50);
    assert.ok(Math.abs(v - 123_456) / 123_456 < 0.001);
  });
});
