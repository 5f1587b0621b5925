import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestTemplate } from "../../src/core/load-plan.js";
import { compileFilter, filterMatches, parseMetricKey, tagKey } from "../../src/core/tags.js";

const req = (url: string, tags?: Record<string, string>, method = "GET"): RequestTemplate => ({
  url,
  method,
  headers: {},
  weight: 1,
  ...(tags ? { tags } : {}),
});

describe("k6 sub-metric keys", () => {
  const declared = new Set(["type"]);
  it("reads k6's forms: spaces, quotes, several tags, in a canonical key", () => {
    const a = parseMetricKey("http_req_duration{type:API}", declared);
    const b = parseMetricKey(`http_req_duration{ "type" : 'API' }`, declared);
    assert.ok(a.ok && b.ok);
    assert.deepEqual(a.sub?.tags, { type: "API" });
    assert.equal(a.sub?.key, b.ok ? b.sub?.key : "");
    const c = parseMetricKey("http_reqs{status:200,method:POST}", declared);
    assert.ok(c.ok);
    assert.equal(c.sub?.key, "method:POST,status:200");
    assert.equal(tagKey({ status: "200", method: "POST" }), c.sub?.key);
    const plain = parseMetricKey("http_req_failed", declared);
    assert.ok(plain.ok && plain.sub === undefined);
  });

  it("names what is not supported", () => {
    const cases: [string, RegExp][] = [
      ["http_req_duration{group:::checkout}", /k6 system tag withstand does not set/],
      ["http_req_duration{team:a}", /no request sets it/],
      ["iterations{type:API}", /iterations has no request tags/],
      ["http_req_waiting{type:API}", /unknown metric http_req_waiting/],
      ["http_req_duration{type}", /expected key:value/],
      ["http_req_duration{expected_response:yes}", /expected true or false/],
    ];
    for (const [text, message] of cases) {
      const p = parseMetricKey(text, declared);
      assert.equal(p.ok, false, text);
      assert.match(p.ok ? "" : p.error, message, text);
    }
  });
});

describe("tag filters", () => {
  const templates = [
    req("http://h/api", { type: "API" }),
    req("http://h/s", { type: "static" }, "POST"),
    req("http://h/n", { name: "orders" }),
  ];
  it("match static tags per template, then the response's status", () => {
    const api = compileFilter({ type: "API" }, templates);
    assert.deepEqual(api.templates, [true, false, false]);
    const post404 = compileFilter({ method: "POST", status: "404" }, templates);
    assert.equal(filterMatches(post404, 1, 404), true);
    assert.equal(filterMatches(post404, 1, 200), false);
    assert.equal(filterMatches(post404, 0, 404), false);
  });
  it("name defaults to the URL, as in k6; a connection failure has status 0 and is not an expected response", () => {
    assert.equal(filterMatches(compileFilter({ name: "http://h/api" }, templates), 0, 200), true);
    assert.equal(filterMatches(compileFilter({ name: "orders" }, templates), 2, 200), true);
    assert.equal(filterMatches(compileFilter({ status: "0" }, templates), 0, undefined), true);
    const expected = compileFilter({ expected_response: "true" }, templates);
    assert.equal(filterMatches(expected, 0, 302), true);
    assert.equal(filterMatches(expected, 0, 500), false);
    assert.equal(filterMatches(expected, 0, undefined), false);
  });
});
