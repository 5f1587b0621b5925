import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseDuration } from "../../src/core/duration.js";
import { EXIT, exitCodeFor } from "../../src/core/exit-codes.js";
import { redact } from "../../src/core/redact.js";
import { pick, selectionSize } from "../../src/core/select.js";
import { suggest } from "../../src/core/suggest.js";

describe("durations", () => {
  it("reads CTK seconds and unit strings", () => {
    assert.equal(parseDuration(2), 2000);
    assert.equal(parseDuration("0.5"), 500);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("abc"), undefined);
    assert.equal(parseDuration(-1), undefined);
  });
});

describe("exit codes", () => {
  it("map statuses as documented", () => {
    assert.equal(exitCodeFor("completed", false), EXIT.ok);
    assert.equal(exitCodeFor("completed", true), EXIT.failed);
    assert.equal(exitCodeFor("failed", false), EXIT.failed);
    assert.equal(exitCodeFor("aborted", false), EXIT.aborted);
    assert.equal(exitCodeFor("interrupted", true), EXIT.aborted);
  });
});

describe("blast radius", () => {
  it("sizes each mode", () => {
    assert.equal(selectionSize({ mode: "one" }, 5), 1);
    assert.equal(selectionSize({ mode: "all" }, 5), 5);
    assert.equal(selectionSize({ mode: "fixed", value: 2 }, 5), 2);
    assert.equal(selectionSize({ mode: "fixed", value: 9 }, 5), 5);
    assert.equal(selectionSize({ mode: "percent", value: 50 }, 3), 1);
    assert.equal(selectionSize({ mode: "percent", value: 1 }, 3), 1);
    assert.equal(selectionSize({ mode: "percent", value: 0 }, 3), 0);
  });

  it("picks distinct items from the pool", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer(), { maxLength: 30 }),
        fc.integer({ min: 0, max: 100 }),
        (items, pct) => {
          const chosen = pick(items, { mode: "percent", value: pct });
          assert.equal(new Set(chosen).size, chosen.length);
          for (const c of chosen) assert.ok(items.includes(c));
          assert.equal(chosen.length, selectionSize({ mode: "percent", value: pct }, items.length));
        },
      ),
    );
  });
});

describe("suggestions and redaction", () => {
  it("suggests close keys", () => {
    assert.equal(
      suggest("steady - state - hypothesis", ["method", "steady-state-hypothesis"]),
      "steady-state-hypothesis",
    );
    assert.equal(suggest("rollback", ["rollbacks", "method"]), "rollbacks");
    assert.equal(suggest("zzzzzz", ["method"]), undefined);
  });

  it("redacts secrets everywhere", () => {
    assert.deepEqual(redact({ a: "Bearer s3cr3t", b: ["s3cr3t"], c: 1 }, ["s3cr3t"]), {
      a: "Bearer ***",
      b: ["***"],
      c: 1,
    });
  });
});
