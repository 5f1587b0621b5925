import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  AssertionSyntaxError,
  checkChecklyAssertion,
  checkGatusCondition,
  extract,
  type ObservedResponse,
  parseGatusCondition,
} from "../../src/core/http-assertions.js";

const response = (over: Partial<ObservedResponse> = {}): ObservedResponse => ({
  status: 200,
  headers: { "content-type": "application/json", "x-replica": "a" },
  body: JSON.stringify({ status: "UP", order: { id: 42, items: [1, 2, 3] }, empty: [], none: null }),
  responseTimeMs: 120,
  connected: true,
  ...over,
});
const gatus = (c: string, r = response()) => checkGatusCondition(parseGatusCondition(c), r) === undefined;

describe("Gatus conditions", () => {
  it("compare placeholders, JSON paths and functions as Gatus does", () => {
    assert.ok(gatus("[STATUS] == 200"));
    assert.ok(gatus("[STATUS] < 300"));
    assert.ok(gatus("[RESPONSE_TIME] < 300"));
    assert.ok(!gatus("[RESPONSE_TIME] < 100"));
    assert.ok(gatus("[BODY].status == UP"));
    assert.ok(gatus("[BODY].order.id == 42"));
    assert.ok(gatus("[BODY].order.items[1] == 2"));
    assert.ok(gatus("len([BODY].order.items) == 3"));
    assert.ok(gatus("len([BODY].order.items) > 0"));
    assert.ok(gatus("has([BODY].order) == true"));
    assert.ok(gatus("has([BODY].missing) == false"));
    assert.ok(gatus("[STATUS] == any(200, 429)"));
    assert.ok(!gatus("[STATUS] == any(500, 503)"));
    assert.ok(gatus("[BODY].status == pat(U*)"));
    assert.ok(gatus("[BODY].status != pat(D*)"));
    assert.ok(gatus("[CONNECTED] == true"));
    assert.ok(!gatus("[BODY].missing == UP"), "a missing path never matches");
    assert.ok(gatus("[BODY].order.id == [BODY].order.id"));
  });

  it("len() counts a JSON array body's elements and a number's text; any()/pat() go on either side", () => {
    const list = response({ body: JSON.stringify([{ id: 1 }, { id: 2 }, { id: 3 }]) });
    assert.ok(gatus("len([BODY]) == 3", list), "an array body: its element count");
    assert.ok(gatus("len([BODY]) == 5", response({ body: "hello" })), "a text body: its bytes");
    assert.ok(gatus("len([BODY].order.id) == 2"), "a number: the length of its text, 42");
    assert.ok(gatus("len([BODY].n) == 5", response({ body: '{"n": 1000000}' })), "Go prints 1e+06");
    assert.ok(gatus("len([BODY].s) == 5", response({ body: '{"s": "é€"}' })), "bytes, as Go's len");
    assert.ok(gatus("has([BODY]) == true"));
    assert.ok(gatus("any(200, 201) == [STATUS]"));
    assert.ok(!gatus("any(500, 503) == [STATUS]"));
    assert.ok(gatus("pat(U*) == [BODY].status"));
    assert.ok(gatus("pat(D*) != [BODY].status"));
    assert.ok(gatus("[IP] == 127.0.0.1", response({ ip: "127.0.0.1" })));
    assert.ok(gatus("[IP] == pat(127.*)", response({ ip: "127.0.0.1" })));
    assert.throws(() => parseGatusCondition("any(200) < [STATUS]"), /only work with == and !=/);
  });

  it("numeric comparisons agree with arithmetic for any status", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 }), (s, t) => {
        const r = response({ status: s });
        assert.equal(gatus(`[STATUS] < ${t}`, r), s < t);
        assert.equal(gatus(`[STATUS] >= ${t}`, r), s >= t);
        assert.equal(gatus(`[STATUS] != ${t}`, r), s !== t);
      }),
    );
  });

  it("refuses what it does not support, naming it", () => {
    assert.throws(() => parseGatusCondition("[CERTIFICATE_EXPIRATION] > 48h"), AssertionSyntaxError);
    assert.throws(() => parseGatusCondition("[STATUS] < any(200)"), /only work with == and !=/);
    assert.throws(() => parseGatusCondition("[STATUS]"), /expected PLACEHOLDER OPERATOR VALUE/);
  });
});

describe("Checkly assertions", () => {
  const ok = (a: Parameters<typeof checkChecklyAssertion>[0], r = response()) =>
    checkChecklyAssertion(a, r) === undefined;
  it("read each source and apply each comparison", () => {
    assert.ok(ok({ source: "STATUS_CODE", comparison: "EQUALS", target: 200 }));
    assert.ok(ok({ source: "STATUS_CODE", comparison: "LESS_THAN", target: 300 }));
    assert.ok(ok({ source: "RESPONSE_TIME", comparison: "LESS_THAN", target: 500 }));
    assert.ok(!ok({ source: "RESPONSE_TIME", comparison: "GREATER_THAN", target: 500 }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.order.id", comparison: "EQUALS", target: "42" }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.order", comparison: "HAS_KEY", target: "items" }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.order", comparison: "NOT_HAS_KEY", target: "price" }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.order", comparison: "HAS_VALUE", target: 42 }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.empty", comparison: "IS_EMPTY" }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.order.items", comparison: "NOT_EMPTY" }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.none", comparison: "IS_NULL" }));
    assert.ok(ok({ source: "JSON_BODY", property: "$.status", comparison: "NOT_NULL" }));
    assert.ok(ok({ source: "HEADERS", property: "Content-Type", comparison: "CONTAINS", target: "json" }));
    assert.ok(ok({ source: "HEADERS", property: "x-replica", comparison: "NOT_EQUALS", target: "b" }));
    assert.ok(ok({ source: "TEXT_BODY", comparison: "CONTAINS", target: '"UP"' }));
    assert.ok(ok({ source: "TEXT_BODY", comparison: "NOT_CONTAINS", target: "DOWN" }));
    assert.ok(
      ok({ source: "HEADERS", property: "x-replica", comparison: "EQUALS", target: "a", regex: "^(\\w)$" }),
    );
    const why = checkChecklyAssertion(
      { source: "STATUS_CODE", comparison: "EQUALS", target: 201 },
      response(),
    );
    assert.equal(why, "STATUS_CODE EQUALS 201: got 200");
  });

  it("saves values for later steps from JSONPath, Gatus placeholders and headers", () => {
    assert.deepEqual(extract("$.order.id", response()), { found: true, value: "42" });
    assert.deepEqual(extract("[BODY].status", response()), { found: true, value: "UP" });
    assert.deepEqual(extract("header:X-Replica", response()), { found: true, value: "a" });
    assert.equal(extract("$.nope", response()).found, false);
  });
});
