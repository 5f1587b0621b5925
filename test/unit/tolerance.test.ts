import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTolerance } from "../../src/core/tolerance.js";

const http = (status: number, body: unknown = "") => ({ status, headers: {}, body });
const proc = (status: number, stdout = "", stderr = "") => ({ status, stdout, stderr });

describe("tolerances (Chaos Toolkit semantics)", () => {
  it("compares an int with the status of http and process results", () => {
    assert.equal(checkTolerance(200, http(200)).met, true);
    assert.equal(checkTolerance(200, http(503)).met, false);
    assert.equal(checkTolerance(0, proc(0)).met, true);
    assert.equal(checkTolerance(0, proc(1)).met, false);
    assert.equal(checkTolerance(3, 3).met, true);
  });

  it("treats a list against a status as membership, not a range", () => {
    assert.equal(checkTolerance([200, 503], http(503)).met, true);
    assert.equal(checkTolerance([200, 503], http(404)).met, false);
  });

  it("treats a two-number list against a bare number as an inclusive range", () => {
    assert.equal(checkTolerance([1, 5], 5).met, true);
    assert.equal(checkTolerance([1, 5], 6).met, false);
    assert.equal(checkTolerance(["a", "b", "c"], "b").met, true);
  });

  it("compares bools and strings for equality, so they never match a provider result", () => {
    assert.equal(checkTolerance(true, true).met, true);
    assert.equal(checkTolerance("ok", "ok").met, true);
    assert.equal(checkTolerance(true, proc(0)).met, false);
  });

  it("checks ranges on a target or on the status", () => {
    assert.equal(checkTolerance({ type: "range", range: [200, 299] }, http(204)).met, true);
    assert.equal(
      checkTolerance({ type: "range", range: [0, 1.5], target: "body" }, http(200, 1.2)).met,
      true,
    );
    assert.equal(
      checkTolerance({ type: "range", range: [0, 1], target: "body" }, http(200, "abc")).met,
      false,
    );
  });

  it("matches regexes on stdout or body, and never throws on non-text", () => {
    assert.equal(checkTolerance({ type: "regex", pattern: "^ready" }, proc(0, "ready now")).met, true);
    assert.equal(
      checkTolerance({ type: "regex", pattern: "quotes", target: "body" }, http(200, "no quotes")).met,
      true,
    );
    const r = checkTolerance({ type: "regex", pattern: "x", target: "status" }, http(200));
    assert.equal(r.met, false);
    assert.match(r.reason, /regex needs text at status/);
  });

  it("evaluates jsonpath with count and expect", () => {
    const body = { items: [{ status: "up" }, { status: "up" }] };
    assert.equal(
      checkTolerance(
        { type: "jsonpath", path: "$.items[*].status", expect: "up", target: "body" },
        http(200, body),
      ).met,
      true,
    );
    assert.equal(
      checkTolerance({ type: "jsonpath", path: "$.items[*]", count: 2, target: "body" }, http(200, body)).met,
      true,
    );
    assert.equal(
      checkTolerance({ type: "jsonpath", path: "$.items[*]", count: 3, target: "body" }, http(200, body)).met,
      false,
    );
    assert.equal(
      checkTolerance({ type: "jsonpath", path: "$.missing", target: "body" }, http(200, body)).met,
      false,
    );
    assert.equal(
      checkTolerance({ type: "jsonpath", path: "$.a", expect: 1, target: "body" }, http(200, '{"a": 1}')).met,
      true,
    );
  });
});
