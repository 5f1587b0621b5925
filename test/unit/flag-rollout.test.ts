/** A Rollout of a flag variant: read through its one schema, weights as shares, {{variant}} in queries. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flagWeights } from "../../src/core/rollout.js";
import { readRollout } from "../../src/documents/rollout.js";
import { SCHEMAS } from "../../src/documents/schemas.js";
import { parseSource } from "../../src/documents/source.js";
import { fillVersion } from "../../src/rollout/measure.js";

function read(text: string) {
  const { docs } = parseSource("r.yaml", text);
  return readRollout(docs[0] as (typeof docs)[number]);
}

const doc = (spec: string) => `apiVersion: withstand/v1
kind: Rollout
metadata: {name: pricing}
spec:
${spec}`;

describe("a flag rollout document", () => {
  it("needs no router or versions, and reads its flag and synthetic metric", () => {
    const { spec, diagnostics } = read(
      doc(`  flag: {server: "http://127.0.0.1:8016/", key: new-pricing, variant: "on"}
  steps:
    - setWeight: 10
    - analysis:
        judge:
          metrics:
            - {name: errors, source: synthetic, url: "http://127.0.0.1:8080/?u={{targetingKey}}", measure: error-rate}
            - {name: p, source: prometheus, prometheus: "http://127.0.0.1:9090", query: 'rate(x{variant="{{variant}}"}[1m])'}
`),
    );
    assert.deepEqual(diagnostics, []);
    assert.equal(spec?.flag?.server, "http://127.0.0.1:8016");
    assert.equal(spec?.flag?.key, "new-pricing");
    assert.match(spec?.flag?.loc ?? "", /^r\.yaml:5:/);
    const step = spec?.steps[1];
    assert.equal(step?.kind, "analysis");
    if (step?.kind === "analysis") assert.equal(step.analyses[0]?.metrics[0]?.requests, 20);
  });

  it("reports what a flag rollout cannot have, at file:line:col", () => {
    const { spec, diagnostics } = read(
      doc(`  flag: {server: "127.0.0.1:8016", key: new-pricing, variant: "on", baseline: "on", colour: red}
  canary: {url: "http://127.0.0.1:1"}
  steps:
    - setWeight: 10
    - analysis:
        judge:
          metrics:
            - {name: errors, source: router, measure: error-rate}
`),
    );
    assert.equal(spec, undefined);
    const lines = diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);
    assert.ok(
      lines.some((l) =>
        /^5:\d+ spec\.flag\.server: got the string "127\.0\.0\.1:8016" \(expected http:\/\/HOST:PORT/.test(l),
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /^5:\d+ spec\.flag\.colour: unknown key/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /^6:\d+ spec\.canary: .*flag rollout/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /^12:\d+ .*source: a flag rollout has no router/.test(l)),
      lines.join("\n"),
    );
  });

  it("refuses a synthetic metric in a rollout of versions (it has no users to act as)", () => {
    const { diagnostics } = read(
      doc(`  stable: {url: "http://127.0.0.1:1"}
  canary: {url: "http://127.0.0.1:2"}
  steps:
    - analysis: {judge: {metrics: [{name: e, source: synthetic, url: "http://127.0.0.1:3/", measure: error-rate}]}}
`),
    );
    assert.ok(
      diagnostics.some(
        (d) => d.severity === "error" && /synthetic metrics judge flag variants/.test(d.message),
      ),
    );
  });

  it("exports spec.flag in the Rollout's JSON Schema, from the schema the reader uses", () => {
    const parsed = SCHEMAS.Rollout.safeParse({
      apiVersion: "withstand/v1",
      kind: "Rollout",
      spec: { flag: { server: "http://127.0.0.1:8016", key: "k", variant: "on" }, steps: [{ setWeight: 5 }] },
    });
    assert.equal(parsed.success, true);
    const bad = SCHEMAS.Rollout.safeParse({
      apiVersion: "withstand/v1",
      kind: "Rollout",
      spec: { flag: { server: "http://127.0.0.1:8016", key: "k" }, steps: [] },
    });
    assert.equal(bad.success, false);
  });
});

describe("a flag rollout's weights", () => {
  it("gives the variant N%, the baseline the rest and every other bucket 0", () => {
    assert.deepEqual(flagWeights(["old", "new", "broken"], "broken", "old", 20), {
      old: 80,
      new: 0,
      broken: 20,
    });
    assert.deepEqual(flagWeights(["off", "on"], "on", "off", 100), { off: 0, on: 100 });
    assert.deepEqual(flagWeights(["off", "on"], "on", "off", 12.6), { off: 87, on: 13 });
  });

  it("fills {{variant}} (and {{version}}) with the variant a query is about", () => {
    assert.equal(
      fillVersion('rate(e{variant="{{variant}}"}[1m]) / {{ version }}', "on"),
      'rate(e{variant="on"}[1m]) / on',
    );
  });
});
