import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseCondition } from "../../src/core/condition.js";
import type { Judgement } from "../../src/core/judge.js";
import { murmur3, pickAtRandom, pickByHash } from "../../src/core/murmur3.js";
import { analysisPhase, baselineWeight, measurementPhase, plannedCount } from "../../src/core/rollout.js";
import { seeded } from "../../src/core/stats.js";
import { readRollout } from "../../src/documents/rollout.js";
import { parseSource } from "../../src/documents/source.js";

describe("murmur3 and flagd-style bucketing", () => {
  it("matches the reference MurmurHash3 x86_32 vectors (UTF-8 bytes)", () => {
    assert.equal(murmur3(""), 0);
    assert.equal(murmur3("hello"), 0x248bfa47);
    assert.equal(murmur3("The quick brown fox jumps over the lazy dog"), 0x2e4ff723);
    assert.equal(murmur3("", 1), 0x514e28b7);
  });

  it("a key on the canary stays on the canary when its weight grows (property)", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (key, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          if (pickByHash(key, lo) === "canary") assert.equal(pickByHash(key, hi), "canary");
          // With a baseline taking as much as the canary, canary users still never move back.
          if (pickByHash(key, lo, baselineWeight(lo, true)) === "canary")
            assert.equal(pickByHash(key, hi, baselineWeight(hi, true)), "canary");
        },
      ),
    );
  });

  it("hash and random splits follow the weights within 2 points over 10k keys", () => {
    const rand = seeded(7);
    for (const w of [5, 20, 50, 80]) {
      let hashed = 0;
      let random = 0;
      for (let i = 0; i < 10_000; i++) {
        if (pickByHash(`user-${i}`, w) === "canary") hashed++;
        if (pickAtRandom(w, 0, rand) === "canary") random++;
      }
      assert.ok(Math.abs(hashed / 100 - w) <= 2, `hash split at ${w}%: ${hashed / 100}%`);
      assert.ok(Math.abs(random / 100 - w) <= 2, `random split at ${w}%: ${random / 100}%`);
    }
    const three = { canary: 0, baseline: 0, stable: 0 };
    for (let i = 0; i < 10_000; i++) three[pickByHash(`user-${i}`, 20, baselineWeight(20, true))]++;
    assert.ok(
      Math.abs(three.canary / 100 - 20) <= 2 && Math.abs(three.baseline / 100 - 20) <= 2,
      JSON.stringify(three),
    );
    assert.deepEqual(
      [0, 20, 50, 70, 100].map((w) => baselineWeight(w, true)),
      [0, 20, 50, 30, 0],
    );
    assert.equal(baselineWeight(20, false), 0);
    assert.equal(pickByHash("anyone", 0), "stable");
    assert.equal(pickByHash("anyone", 100), "canary");
  });
});

describe("analysis conditions", () => {
  const env = { score: 80, verdict: "Marginal", errors: { canary: 0.02, baseline: 0.001 } };
  it("evaluates comparisons, boolean operators, strings and dotted names", () => {
    const t = (e: string) => {
      const p = parseCondition(e);
      assert.ok(p.ok, e);
      return p.eval(env);
    };
    assert.equal(t("score >= 75"), true);
    assert.equal(t("score >= 95 || verdict == 'Marginal'"), true);
    assert.equal(t("score >= 75 && errors.canary < 0.01"), false);
    assert.equal(t("not (errors.canary > errors.baseline)"), false);
    assert.equal(t("missing.value < 1"), undefined, "no data never satisfies a comparison");
  });

  it("is three-valued: no data stays unknown through !, && and ||", () => {
    const t = (e: string, data: Record<string, unknown> = {}) => {
      const p = parseCondition(e);
      assert.ok(p.ok, e);
      return p.eval(data);
    };
    // The two conditions that used to be true with no data at all.
    assert.equal(t("!(score < 95)"), undefined);
    assert.equal(t("!(errors.canary > 0.01)"), undefined);
    assert.equal(t("not (score < 95) && !(errors.canary > 0.01)"), undefined);
    // Kleene logic: a known operand decides when it can.
    assert.equal(t("score > 1 && errors.canary > 0", { score: 0 }), false);
    assert.equal(t("score > 1 || errors.canary > 0", { score: 2 }), true);
    assert.equal(t("score > 1 || errors.canary > 0", { score: 0 }), undefined);
  });

  it("an unknown condition is neither success nor failure", () => {
    const judged: Judgement = { verdict: "Pass", score: 100, metrics: [], reason: "r" };
    assert.equal(
      measurementPhase({ successCondition: "!(errors.canary > 0.01)" }, judged, {}).phase,
      "Inconclusive",
    );
    assert.equal(measurementPhase({ failureCondition: "!(score >= 95)" }, judged, {}).phase, "Successful");
    assert.equal(measurementPhase({ failureCondition: "missing > 1" }, judged, {}).phase, "Inconclusive");
  });

  it("rejects malformed expressions with the place", () => {
    const p = parseCondition("score >= ");
    assert.equal(p.ok, false);
    assert.match(p.ok ? "" : p.error, /expected a value/);
    assert.equal(parseCondition("score >> 3").ok, false);
  });

  it("agrees with JavaScript on numeric comparisons (property)", () => {
    const ops = ["<", "<=", ">", ">=", "==", "!="] as const;
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
        fc.integer({ min: -5, max: 5 }),
        fc.constantFrom(...ops),
        (x, y, op) => {
          const p = parseCondition(`x ${op} ${y}`);
          assert.ok(p.ok);
          const js = { "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x === y, "!=": x !== y }[op];
          assert.equal(p.eval({ x }), js);
        },
      ),
    );
  });
});

describe("measurement and analysis phases (Argo semantics)", () => {
  const j = (verdict: Judgement["verdict"], score: number): Judgement => ({
    verdict,
    score,
    metrics: [],
    reason: "r",
  });
  it("without conditions the judge's verdict decides", () => {
    assert.equal(measurementPhase({}, j("Pass", 100), {}).phase, "Successful");
    assert.equal(measurementPhase({}, j("Fail", 0), {}).phase, "Failed");
    assert.equal(measurementPhase({}, j("Marginal", 80), {}).phase, "Inconclusive");
  });
  it("conditions follow Argo: success only → false is Failed; both → neither is Inconclusive", () => {
    assert.equal(measurementPhase({ successCondition: "score >= 90" }, j("Fail", 80), {}).phase, "Failed");
    assert.equal(
      measurementPhase({ successCondition: "score >= 90", failureCondition: "score < 50" }, j("Fail", 80), {})
        .phase,
      "Inconclusive",
    );
    assert.equal(measurementPhase({ failureCondition: "score < 50" }, j("Fail", 80), {}).phase, "Successful");
  });
  it("no data with the inconclusive policy is Inconclusive whatever the conditions say", () => {
    assert.equal(
      measurementPhase({ successCondition: "score >= 0" }, j("Inconclusive", 100), {}).phase,
      "Inconclusive",
    );
  });
  it("limits are 'more than N'; errors need consecutiveErrorLimit+1 in a row; count ends the run", () => {
    const spec = {
      failureLimit: 1,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 2,
      count: 4,
      intervalMs: 1000,
    };
    const ph = (...p: ("Successful" | "Failed" | "Inconclusive" | "Error")[]) =>
      analysisPhase(
        spec,
        p.map((phase) => ({ phase })),
      ).phase;
    assert.equal(ph("Failed"), "Running");
    assert.equal(ph("Failed", "Failed"), "Failed");
    assert.equal(ph("Inconclusive"), "Inconclusive");
    assert.equal(ph("Error", "Error", "Successful"), "Running");
    assert.equal(ph("Error", "Error", "Successful", "Error"), "Successful");
    assert.equal(
      analysisPhase(
        { ...spec, consecutiveErrorLimit: 9 },
        [1, 2, 3, 4].map(() => ({ phase: "Error" as const })),
      ).phase,
      "Inconclusive",
      "never Successful on errors alone",
    );
    assert.equal(ph("Error", "Error", "Error"), "Error");
    assert.equal(ph("Successful", "Successful", "Failed", "Successful"), "Successful");
    assert.equal(
      analysisPhase({ ...spec, failureLimit: -1 }, [{ phase: "Failed" }, { phase: "Failed" }]).phase,
      "Running",
    );
    assert.equal(plannedCount({}), 1);
    assert.equal(plannedCount({ intervalMs: 1000 }), undefined);
  });
});

describe("Rollout documents", () => {
  const read = (text: string) => {
    const { docs } = parseSource("r.yaml", text);
    return readRollout(docs[0] as (typeof docs)[number]);
  };
  const minimal = `apiVersion: withstand/v1
kind: Rollout
metadata: {name: orders}
spec:
  listen: 127.0.0.1:9000
  stable: {url: http://127.0.0.1:9001}
  canary: {url: http://127.0.0.1:9002}
  stickiness: {header: x-user-id}
  steps:
    - setWeight: 20
    - analysis:
        interval: 5s
        count: 3
        judge:
          metrics:
            - {name: errors, source: router, measure: error-rate, direction: increase, critical: true}
            - {name: latency, source: router, measure: latency, direction: increase}
    - setWeight: 50
    - analysis: {interval: 5s, count: 3, judge: {metrics: [{name: errors, source: router, measure: error-rate, direction: increase, critical: true}]}}
`;
  it("reads the issue's minimal document as written", () => {
    const { spec, diagnostics } = read(minimal);
    assert.deepEqual(diagnostics, []);
    assert.ok(spec);
    assert.deepEqual(spec.listen, { host: "127.0.0.1", port: 9000 });
    assert.deepEqual(spec.stickiness, { header: "x-user-id" });
    assert.deepEqual(
      spec.steps.map((s) => s.kind),
      ["setWeight", "analysis", "setWeight", "analysis"],
    );
    const a = spec.steps[1];
    assert.ok(a?.kind === "analysis");
    assert.equal(a.analyses[0]?.intervalMs, 5000);
    assert.equal(a.analyses[0]?.count, 3);
    assert.equal(a.analyses[0]?.confidence, 0.98);
    assert.equal(a.analyses[0]?.consecutiveErrorLimit, 4);
    assert.equal(a.analyses[0]?.metrics[0]?.critical, true);
    const labelled = read(
      minimal.replace(
        "canary: {url: http://127.0.0.1:9002}",
        "canary: {url: http://127.0.0.1:9002, label: v2}",
      ),
    );
    assert.equal(labelled.spec?.canary.label, "v2");
    const moved = read(
      minimal.replace("canary: {url: http://127.0.0.1:9002}", "canary: {command: ./serve, cwd: app}"),
    );
    assert.equal(moved.spec?.canary.cwd, resolve("app"), "cwd is relative to the document's directory");
  });
  it("reports each mistake at its line and column", () => {
    const bad = minimal
      .replace("setWeight: 50", "setWeight: 150")
      .replace("measure: latency", "measure: p99")
      .replace("count: 3\n", "count: 3\n        successCondition: 'score >='\n");
    const { spec, diagnostics } = read(bad);
    assert.equal(spec, undefined);
    const lines = diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);
    assert.ok(
      lines.some((l) => /^19:\d+ spec.steps\[2\].setWeight: got 150/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /measure: got "p99" \(expected error-rate, latency\)/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /^14:\d+ .*successCondition: expected a value/.test(l)),
      lines.join("\n"),
    );
  });
});
