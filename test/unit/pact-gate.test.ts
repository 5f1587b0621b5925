import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ContractInteraction,
  contractCheck,
  describeContract,
  MAX_INTERACTIONS,
  MAX_MISMATCHES,
} from "../../src/core/pact/gate.js";

const interaction = (n: number, status: string, mismatches = 0): ContractInteraction => ({
  consumer: "web",
  description: `interaction ${n}`,
  states: [],
  status,
  request: { method: "GET", url: `http://127.0.0.1:1/items/${n}` },
  mismatches: Array.from({ length: mismatches }, (_, k) => ({
    type: "body",
    path: `$.f${k}`,
    expected: k,
    actual: "x".repeat(1000),
    mismatch: `Expected field ${k}`,
  })),
});

describe("a rollout's pact gate record", () => {
  it("counts every interaction, lists the broken ones first, and stays small with thousands", () => {
    const results = [
      ...Array.from({ length: 2000 }, (_, n) => interaction(n, "verified")),
      interaction(2000, "failed", 50),
      interaction(2001, "error"),
      interaction(2002, "not-http"),
      interaction(2003, "pending", 1),
    ];
    const c = contractCheck("canary", "http://127.0.0.1:1", results);
    assert.deepEqual([c.verified, c.failed, c.pending, c.skipped, c.total], [2000, 2, 1, 1, 2004]);
    assert.deepEqual(
      c.interactions.slice(0, 3).map((i) => i.status),
      ["failed", "error", "pending"],
    );
    assert.equal(c.interactions.length, MAX_INTERACTIONS);
    assert.equal(c.omitted, 2004 - MAX_INTERACTIONS);
    const broken = c.interactions[0];
    assert.equal(broken?.mismatches.length, MAX_MISMATCHES);
    assert.equal(broken?.mismatchesOmitted, 50 - MAX_MISMATCHES);
    assert.ok(String(broken?.mismatches[0]?.actual).length <= 200, "long values are cut");
    assert.ok(JSON.stringify(c).length < 100_000, `${JSON.stringify(c).length} bytes`);
    assert.match(
      describeContract(c),
      /^2 broke the contract, 2000 of 2004 interactions verified on the canary; first: web "interaction 2000": \$\.f0: Expected field 0$/,
    );
  });
});
