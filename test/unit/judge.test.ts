import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyMetric, type MetricConfig, mannWhitney, score } from "../../src/core/judge.js";
import { pnorm, qnorm, seeded } from "../../src/core/stats.js";
import { readRollout } from "../../src/documents/rollout.js";
import { parseSource } from "../../src/documents/source.js";

const errors: MetricConfig = { name: "errors", direction: "increase", critical: true, allowedIncrease: 1.1 };
const latency: MetricConfig = { name: "latency", direction: "increase", allowedIncrease: 1.1 };

function bernoulli(rand: () => number, n: number, p: number): number[] {
  return Array.from({ length: n }, () => (rand() < p ? 1 : 0));
}

/** Log-normal latencies around 20 ms; `scale` multiplies every value (so p99 moves by the same factor). */
function latencies(rand: () => number, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    return 20 * Math.exp(0.4 * z) * scale;
  });
}

function judge(seed: number, errorDelta: number, latencyScale: number) {
  const rand = seeded(seed);
  const m = [
    classifyMetric(errors, bernoulli(rand, 1000, 0.01), bernoulli(rand, 1000, 0.01 + errorDelta)),
    classifyMetric(latency, latencies(rand, 100), latencies(rand, 100, latencyScale)),
  ];
  return score(m);
}

describe("statistics helpers", () => {
  it("pnorm and qnorm invert each other and match known values", () => {
    assert.ok(Math.abs(pnorm(1.959964) - 0.975) < 1e-6);
    assert.ok(Math.abs(qnorm(0.99) - 2.326348) < 1e-6);
    for (const p of [0.001, 0.02, 0.3, 0.5, 0.9, 0.999]) assert.ok(Math.abs(pnorm(qnorm(p)) - p) < 1e-6);
  });

  it("matches R's wilcox.test on a known sample", () => {
    // R: wilcox.test(c(1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30), c(0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29), exact=FALSE, correct=TRUE, conf.int=TRUE)
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = mannWhitney(x, y, 0.95);
    assert.ok(Math.abs(r.pValue - 0.1329) < 0.002, `p ${r.pValue}`);
    assert.ok(r.lower < 0 && r.upper > 0.9, `${r.lower}..${r.upper}`);
  });
});

describe("canary judge on synthetic data with a known truth (seeded)", () => {
  it("rarely rolls back when baseline and canary are identical (about alpha/2 = 1% at 98% confidence)", () => {
    let fails = 0;
    for (let seed = 1; seed <= 100; seed++) if (judge(seed, 0, 1).verdict === "Fail") fails++;
    // A one-sided test at 98% confidence errs about 1% of the time by construction; 2 bounds the noise of 100 trials.
    assert.ok(fails <= 2, `${fails} false rollbacks in 100 trials`);
  });

  it("detects an error rate 5 points higher in more than 99% of trials", () => {
    let caught = 0;
    for (let seed = 1; seed <= 100; seed++) if (judge(1000 + seed, 0.05, 1).verdict === "Fail") caught++;
    assert.equal(caught, 100, `${caught}/100`);
  });

  it("detects a p99 50% higher in more than 99% of trials", () => {
    let caught = 0;
    for (let seed = 1; seed <= 100; seed++) if (judge(2000 + seed, 0, 1.5).verdict !== "Pass") caught++;
    assert.equal(caught, 100);
  });

  it("explains every metric, and makes no-data explicit", () => {
    const j = judge(7, 0.05, 1);
    const e = j.metrics.find((m) => m.name === "errors");
    assert.equal(e?.classification, "High");
    assert.equal(e?.critical, true);
    assert.match(
      e?.reason ?? "",
      /^canary higher than baseline: canary mean 0\.068 vs baseline 0\.014 \(ratio 4\.857, 1000 vs 1000 points\), shift .* \(98% CI .*\), p=/,
    );
    assert.match(j.reason, /^critical metric errors is High/);
    const none = score([classifyMetric({ ...latency, noData: "inconclusive" }, [], [1, 2])]);
    assert.equal(none.verdict, "Inconclusive");
    assert.match(none.reason, /NO DATA for latency: inconclusive by policy/);
    assert.equal(score([classifyMetric({ ...latency, noData: "pass" }, [], [])]).verdict, "Pass");
    const must = classifyMetric({ ...latency, mustHaveData: true }, [1, 2], []);
    assert.equal(
      must.noData,
      "fail",
      "mustHaveData makes missing data a failure, as Kayenta's NodataFailMetric",
    );
    assert.equal(score([must, classifyMetric(errors, [0, 1], [0, 1])]).verdict, "Fail");
    assert.equal(
      score([classifyMetric({ ...latency, noData: "fail", critical: true }, [], [])]).verdict,
      "Fail",
    );
  });
});

describe("minPoints: too few points is NO DATA, not a verdict", () => {
  const errors = { name: "errors", direction: "increase" as const, minPoints: 50 };
  it("a starved canary with 0 errors in 12 requests is NoData (inconclusive), not Pass", () => {
    const v = classifyMetric(errors, Array(500).fill(0), Array(12).fill(0));
    assert.equal(v.classification, "NoData");
    assert.equal(v.noData, "inconclusive");
    assert.match(v.reason, /too few points \(minPoints 50: 500 baseline, 12 canary points\)/);
    assert.equal(score([v]).verdict, "Inconclusive");
  });
  it("from minPoints on, the metric is judged", () => {
    const canary = [...Array(45).fill(0), 1, 1, 1, 1, 1];
    assert.equal(classifyMetric(errors, Array(500).fill(0), canary).classification, "High");
  });
  it("without minPoints one point on each side is judged, as before", () => {
    assert.notEqual(classifyMetric({ name: "m", direction: "increase" }, [1], [1]).classification, "NoData");
  });
});

describe("practical significance (minShift and the latency defaults)", () => {
  /** Two identical services on a busy machine: the canary is 0.06 ms (3%) slower, significantly so. */
  const busy = (seed: number) => {
    const rand = seeded(seed);
    const base = Array.from({ length: 4000 }, () => 2 + rand() * 0.4);
    const canary = Array.from({ length: 4000 }, () => 2.06 + rand() * 0.4);
    return { base, canary };
  };

  it("a tiny significant latency shift is High without a floor", () => {
    const { base, canary } = busy(7);
    const v = classifyMetric({ name: "latency", direction: "increase" }, base, canary);
    assert.equal(v.classification, "High", v.reason);
  });

  it("passes with the router-latency defaults, and says why", () => {
    const { base, canary } = busy(7);
    const v = classifyMetric(
      { name: "latency", direction: "increase", allowedIncrease: 1.1, allowedDecrease: 0.9, minShift: 1 },
      base,
      canary,
    );
    assert.equal(v.classification, "Pass");
    assert.match(v.reason, /higher but not practically: /);
  });

  it("a shift above both floors is still High", () => {
    const rand = seeded(3);
    const base = Array.from({ length: 2000 }, () => 2 + rand() * 0.4);
    const slow = Array.from({ length: 2000 }, () => 4 + rand() * 0.4);
    const v = classifyMetric(
      { name: "latency", direction: "increase", allowedIncrease: 1.1, minShift: 1 },
      base,
      slow,
    );
    assert.equal(v.classification, "High", v.reason);
  });

  it("the rollout reader applies the latency defaults to router latency only, and keeps what is written", () => {
    const text = `apiVersion: withstand/v1
kind: Rollout
metadata: {name: r}
spec:
  listen: 127.0.0.1:0
  stable: {url: "http://127.0.0.1:1"}
  canary: {url: "http://127.0.0.1:2"}
  steps:
    - setWeight: 10
    - analysis:
        judge:
          metrics:
            - {name: errors, source: router, measure: error-rate, direction: increase}
            - {name: latency, source: router, measure: latency, direction: increase}
            - {name: slow, source: router, measure: latency, direction: increase, allowedIncrease: 1.5, minShift: 0}
`;
    const { docs } = parseSource("r.yaml", text);
    const { spec, diagnostics } = readRollout(docs[0] as (typeof docs)[number]);
    assert.deepEqual(diagnostics, []);
    const step = spec?.steps[1];
    const metrics = step?.kind === "analysis" ? (step.analyses[0]?.metrics ?? []) : [];
    assert.equal(metrics[0]?.minShift, undefined);
    assert.equal(metrics[0]?.allowedIncrease, undefined);
    assert.deepEqual(
      [metrics[1]?.allowedIncrease, metrics[1]?.allowedDecrease, metrics[1]?.minShift],
      [1.1, 0.9, 1],
    );
    assert.deepEqual([metrics[2]?.allowedIncrease, metrics[2]?.minShift], [1.5, 0]);
  });
});

describe("the judge's confidence interval", () => {
  it("never excludes its own point estimate, even for 0/1 data with heavy ties (property)", () => {
    for (let seed = 1; seed < 400; seed++) {
      const r = seeded(seed);
      const x = bernoulli(r, 5 + Math.floor(r() * 60), r() * 0.3);
      const y = bernoulli(r, 5 + Math.floor(r() * 60), r() * 0.3);
      const t = mannWhitney(x, y, 0.98);
      assert.ok(t.lower <= t.estimate && t.estimate <= t.upper, `seed ${seed}: ${JSON.stringify(t)}`);
    }
  });
});

describe("the judge on 0/1 error data", () => {
  it("still calls a 5% error rate against 0% High, with the estimate inside its interval", () => {
    const control = Array(320).fill(0);
    const canary = [...Array(141).fill(0), ...Array(7).fill(1)];
    const v = classifyMetric({ name: "errors", direction: "increase", critical: true }, control, canary);
    assert.equal(v.classification, "High", v.reason);
    assert.ok(
      v.test && v.test.lower <= v.test.estimate && v.test.estimate <= v.test.upper,
      JSON.stringify(v.test),
    );
  });
});
