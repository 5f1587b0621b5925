import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { asDataType, fillExpression, formatDate, generateBody } from "../../src/core/pact/generators.js";
import { JsonComparison } from "../../src/core/pact/json.js";
import { applyMatcher, dateFormatRegex } from "../../src/core/pact/matchers.js";
import { PactFileError, readPact } from "../../src/core/pact/pact-file.js";
import { parsePath, pathWeight } from "../../src/core/pact/path.js";
import { matchResponse } from "../../src/core/pact/response.js";
import { readMatchingRules } from "../../src/core/pact/rules.js";
import { compareXml } from "../../src/pact/xml.js";

type Expected = Record<string, unknown>;
type Actual = { status?: number; headers?: Record<string, string>; body?: string };

/** The expected response of a one-interaction pact of a given version, matched against an actual one. */
function mismatches(version: string, expected: Expected, actual: Actual) {
  const pact = readPact({
    consumer: { name: "c" },
    provider: { name: "p" },
    metadata: { pactSpecification: { version } },
    interactions: [
      { description: "d", request: { method: "GET", path: "/" }, response: { status: 200, ...expected } },
    ],
  });
  const response = pact.interactions[0]?.response;
  assert.ok(response);
  return matchResponse(
    response,
    { status: actual.status ?? 200, headers: actual.headers ?? {}, body: actual.body ?? "" },
    compareXml,
  ).map((m) => `${m.type} ${m.path}: ${m.mismatch}`);
}

const json = { "Content-Type": "application/json" };

describe("pact paths", () => {
  it("parses dots, brackets, quoted names and wildcards", () => {
    assert.deepEqual(parsePath("$.a['b c'][2].*[*]"), [
      { kind: "root" },
      { kind: "field", name: "a" },
      { kind: "field", name: "b c" },
      { kind: "index", index: 2 },
      { kind: "star" },
      { kind: "starIndex" },
    ]);
  });
  it("weighs exact tokens over wildcards and lets a prefix rule apply to children", () => {
    const path = ["$", "items", "0", "id"];
    assert.equal(pathWeight(parsePath("$.items[0].id"), path), 16);
    assert.equal(pathWeight(parsePath("$.items[*].id"), path), 8);
    assert.equal(pathWeight(parsePath("$.items"), path), 4);
    assert.equal(pathWeight(parsePath("$.other"), path), 0);
    assert.equal(pathWeight(parsePath("$.items[0].id.x"), path), 0);
  });
  it("refuses a path it cannot read, saying what it expected", () => {
    assert.throws(() => parsePath("$.a[b]"), /expected \[n\], \[\*\] or \['name'\]/);
  });
});

describe("pact response matching", () => {
  it("allows keys the consumer did not ask for, but not a missing one", () => {
    assert.deepEqual(
      mismatches("3.0.0", { headers: json, body: { a: 1 } }, { headers: json, body: '{"a":1,"b":2}' }),
      [],
    );
    assert.deepEqual(
      mismatches("3.0.0", { headers: json, body: { a: 1, b: 2 } }, { headers: json, body: '{"a":1}' }),
      ["body $: Actual map is missing the following keys: b"],
    );
  });
  it("compares arrays by length and order without a matcher", () => {
    assert.deepEqual(mismatches("2.0.0", { headers: json, body: [1, 2] }, { headers: json, body: "[2,1]" }), [
      "body $[0]: Expected 1 (Integer) but received 2 (Integer)",
      "body $[1]: Expected 2 (Integer) but received 1 (Integer)",
    ]);
    assert.deepEqual(mismatches("2.0.0", { headers: json, body: [1] }, { headers: json, body: "[1,null]" }), [
      "body $: Expected a List with 1 elements but received 2 elements",
    ]);
  });
  it("cascades a type matcher to every item and key below it (v2 and v3 rule forms)", () => {
    const v2 = {
      headers: json,
      body: { people: [{ name: "Fred" }] },
      matchingRules: { "$.body.people": { min: 1 } },
    };
    assert.deepEqual(
      mismatches("2.0.0", v2, { headers: json, body: '{"people":[{"name":"A"},{"name":"B","age":3}]}' }),
      [],
    );
    assert.deepEqual(mismatches("2.0.0", v2, { headers: json, body: '{"people":[]}' }), [
      "body $.people: Expected [] (size 0) to have minimum size of 1",
    ]);
    const v3 = {
      headers: json,
      body: { people: [{ name: "Fred" }] },
      matchingRules: { body: { "$.people": { matchers: [{ match: "type" }] } } },
    };
    assert.deepEqual(mismatches("3.0.0", v3, { headers: json, body: '{"people":[{"name":7}]}' }), [
      "body $.people[0].name: Expected 7 (Integer) to be the same type as 'Fred' (String)",
    ]);
  });
  it("matches a regex against the whole value, as Java does", () => {
    const e = {
      headers: json,
      body: { id: "ab" },
      matchingRules: { body: { "$.id": { matchers: [{ match: "regex", regex: "[a-z]{2}" }] } } },
    };
    assert.deepEqual(mismatches("3.0.0", e, { headers: json, body: '{"id":"xy"}' }), []);
    assert.deepEqual(mismatches("3.0.0", e, { headers: json, body: '{"id":"xyz"}' }), [
      "body $.id: Expected 'xyz' to match '[a-z]{2}'",
    ]);
  });
  it("compares headers case-insensitively by name, values as lists, media types by parameters", () => {
    assert.deepEqual(
      mismatches("1.0.0", { headers: { accept: "a,b" } }, { headers: { Accept: "a, b" } }),
      [],
    );
    assert.deepEqual(mismatches("1.0.0", { headers: { Accept: "a,b" } }, { headers: { Accept: "b, a" } }), [
      "header Accept: Expected header 'Accept' to have value 'a,b' but was 'b, a'",
    ]);
    assert.deepEqual(
      mismatches(
        "3.0.0",
        { headers: { "Content-Type": "application/json" } },
        { headers: { "content-type": "application/json; charset=UTF-8" } },
      ),
      [],
    );
    assert.equal(
      mismatches(
        "3.0.0",
        { headers: { "Content-Type": "application/json;charset=UTF-16" } },
        { headers: { "content-type": "application/json;charset=utf-8" } },
      ).length,
      1,
    );
    assert.deepEqual(mismatches("1.0.0", { headers: { "X-Id": "1" } }, { headers: {} }), [
      "header X-Id: Expected a header 'X-Id' but was missing",
    ]);
  });
  it("treats an empty or null expected body as 'no body', and an absent one as anything", () => {
    assert.deepEqual(mismatches("2.0.0", { body: "" }, { body: "" }), []);
    assert.equal(
      mismatches("2.0.0", { headers: json, body: null }, { headers: json, body: '{"a":1}' }).length,
      1,
    );
    assert.deepEqual(mismatches("2.0.0", { body: null }, {}), []);
    assert.deepEqual(mismatches("2.0.0", {}, { body: "anything" }), []);
    assert.deepEqual(
      mismatches("4.0", { body: { content: null, contentType: "application/json" } }, { body: "null" }),
      [],
    );
  });
  it("judges the status with v4 status-class matchers", () => {
    const e = {
      status: 200,
      matchingRules: { status: { matchers: [{ match: "statusCode", status: "success" }] } },
    };
    assert.deepEqual(mismatches("4.0", e, { status: 204 }), []);
    assert.deepEqual(mismatches("4.0", e, { status: 500 }), [
      "status : Expected status code 500 to be a success status",
    ]);
    assert.deepEqual(mismatches("1.0.0", { status: 201 }, { status: 200 }), [
      "status : expected 201 but was 200",
    ]);
  });
  it("compares XML by namespace and name, grouped children, attributes and text", () => {
    const xml = { "Content-Type": "application/xml" };
    const e = { headers: xml, body: '<a xmlns="urn:x" k="1"><b>1</b><c/></a>' };
    assert.deepEqual(
      mismatches("3.0.0", e, {
        headers: xml,
        body: '<p:a xmlns:p="urn:x" k="1" extra="y"><p:c/><p:b>1</p:b><p:d/></p:a>',
      }),
      [],
    );
    assert.deepEqual(mismatches("3.0.0", e, { headers: xml, body: '<a k="1"><b>1</b><c/></a>' }), [
      "body $.urn:x:a: Expected 'a' to be equal to 'urn:x:a'",
    ]);
    assert.deepEqual(
      mismatches("3.0.0", e, { headers: xml, body: '<a xmlns="urn:x" k="1"><b>2</b><c/></a>' }),
      ["body $.urn:x:a.urn:x:b.#text: Expected '2' to be equal to '1'"],
    );
  });
  it("applies v4 eachKey, eachValue, arrayContains, notEmpty and semver", () => {
    const body = (rules: unknown, b: unknown) => ({
      headers: json,
      body: { content: b, contentType: "application/json" },
      matchingRules: { body: rules },
    });
    const eachValue = body(
      { "$.m": { matchers: [{ match: "eachValue", rules: [{ match: "type" }], value: "x" }] } },
      { m: { a: "x" } },
    );
    assert.deepEqual(mismatches("4.0", eachValue, { headers: json, body: '{"m":{"b":"y","c":"z"}}' }), []);
    assert.equal(mismatches("4.0", eachValue, { headers: json, body: '{"m":{"b":1}}' }).length, 1);
    const eachKey = body(
      { "$.m": { matchers: [{ match: "eachKey", rules: [{ match: "regex", regex: "[a-z]+" }] }] } },
      { m: { a: 1 } },
    );
    assert.deepEqual(mismatches("4.0", eachKey, { headers: json, body: '{"m":{"a":1}}' }), []);
    assert.equal(mismatches("4.0", eachKey, { headers: json, body: '{"m":{"a":1,"B2":3}}' }).length, 1);
    const contains = body(
      {
        "$.xs": {
          matchers: [
            {
              match: "arrayContains",
              variants: [{ index: 0, rules: { "$.id": { matchers: [{ match: "type" }] } } }],
            },
          ],
        },
      },
      { xs: [{ id: 1, kind: "a" }] },
    );
    assert.deepEqual(
      mismatches("4.0", contains, {
        headers: json,
        body: '{"xs":[{"id":9,"kind":"b"},{"id":5,"kind":"a"}]}',
      }),
      [],
    );
    assert.equal(
      mismatches("4.0", contains, { headers: json, body: '{"xs":[{"id":9,"kind":"b"}]}' }).length,
      1,
    );
    assert.equal(applyMatcher({ match: "notEmpty" }, "x", ""), "Expected '' (String) to not be empty");
    assert.equal(applyMatcher({ match: "semver" }, "1.0.0", "1.2.3-rc.1"), undefined);
    assert.ok(applyMatcher({ match: "semver" }, "1.0.0", "1.2"));
  });
  it("checks number kinds, null, boolean, include and dates", () => {
    assert.equal(applyMatcher({ match: "integer" }, 1, 3), undefined);
    assert.ok(applyMatcher({ match: "integer" }, 1, 3.5));
    // As pact_matching: a string that parses as an unsigned integer passes; others are named so.
    assert.equal(applyMatcher({ match: "integer" }, 1, "42"), undefined);
    assert.equal(
      applyMatcher({ match: "integer" }, 1, "-5"),
      "Expected '-5' (String) to be an integer number",
    );
    assert.equal(
      applyMatcher({ match: "integer" }, 1, "4x"),
      "Expected '4x' (String) to be an integer number",
    );
    assert.equal(applyMatcher({ match: "decimal" }, 1.5, 2.25), undefined);
    assert.equal(applyMatcher({ match: "number" }, 1, 2.25), undefined);
    assert.ok(applyMatcher({ match: "number" }, 1, "x"));
    assert.equal(applyMatcher({ match: "null" }, null, null), undefined);
    assert.equal(applyMatcher({ match: "boolean" }, true, false), undefined);
    assert.equal(applyMatcher({ match: "include", value: "ell" }, "", "hello"), undefined);
    assert.equal(
      applyMatcher({ match: "timestamp", format: "yyyy-MM-dd'T'HH:mm:ss" }, "", "2024-02-29T23:59:01"),
      undefined,
    );
    assert.ok(applyMatcher({ match: "date", format: "yyyy-MM-dd" }, "", "2024-13-01"));
    assert.equal(applyMatcher({ match: "time" }, "", "10:20:30"), undefined);
    assert.ok(dateFormatRegex("dd/MM/yyyy").test("06/10/2015"));
  });
  it("reports every mismatch, not only the first", () => {
    const got = mismatches(
      "3.0.0",
      { status: 201, headers: { "X-A": "1", ...json }, body: { a: 1, b: "x" } },
      { status: 200, headers: json, body: '{"a":2,"b":"y"}' },
    );
    assert.equal(got.length, 4);
  });
});

describe("pact matching properties", () => {
  const value = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<import("../../src/core/pact/matchers.js").Json>;
  it("a response that is the expected body matches it", () => {
    fc.assert(
      fc.property(value, (v) => {
        const c = new JsonComparison(readMatchingRules(undefined).body);
        c.compare(["$"], v, structuredClone(v));
        return c.mismatches.length === 0;
      }),
    );
  });
  it("under a type matcher at the root, any leaf values of the same types match", () => {
    const shape = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 5 }),
      fc.oneof(fc.integer(), fc.string(), fc.boolean()),
      { minKeys: 1 },
    );
    fc.assert(
      fc.property(shape, fc.integer(), fc.string(), (obj, n, s) => {
        const other = Object.fromEntries(
          Object.entries(obj).map(([k, v]) => [
            k,
            typeof v === "number" ? n : typeof v === "string" ? s : !v,
          ]),
        );
        const c = new JsonComparison(
          readMatchingRules({ body: { $: { matchers: [{ match: "type" }] } } }).body,
        );
        c.compare(["$"], obj, other);
        return c.mismatches.length === 0;
      }),
    );
  });
});

describe("pact files", () => {
  it("reads v1 provider_state, v2 query strings, v3 provider states with params and v4 typed interactions", () => {
    const v1 = readPact({
      consumer: { name: "c" },
      provider: { name: "p" },
      interactions: [
        {
          description: "d",
          provider_state: "s",
          request: { method: "get", path: "/x", query: "a=1&a=2" },
          response: { status: 200 },
        },
      ],
    });
    assert.equal(v1.specification, "1.0.0");
    assert.deepEqual(v1.interactions[0]?.states, [{ name: "s", params: {} }]);
    assert.deepEqual(v1.interactions[0]?.request.query, [
      ["a", "1"],
      ["a", "2"],
    ]);
    assert.equal(v1.interactions[0]?.request.method, "GET");
    const v4 = readPact({
      consumer: { name: "c" },
      provider: { name: "p" },
      metadata: { pactSpecification: { version: "4.0" } },
      interactions: [
        {
          type: "Synchronous/HTTP",
          description: "h",
          providerStates: [{ name: "s", params: { id: 1 } }],
          request: {
            method: "POST",
            path: "/",
            body: { content: "eyJhIjoxfQ==", contentType: "application/json", encoded: "base64" },
          },
          response: { status: 201 },
        },
        { type: "Asynchronous/Messages", description: "m", contents: { content: {} } },
      ],
    });
    assert.deepEqual(v4.interactions[0]?.request.body, '{"a":1}');
    assert.equal(v4.interactions[1]?.message, "Asynchronous/Messages");
  });
  it("names the path of what it cannot read", () => {
    assert.throws(
      () => readPact({ interactions: [{ description: "d", request: { path: "/" }, response: {} }] }),
      (err: Error & { path?: unknown }) => {
        assert.deepEqual(err.path, ["interactions", 0, "request"]);
        return /expected "method" and "path"/.test(err.message);
      },
    );
  });
});

describe("pact generators", () => {
  it("a ProviderState value takes the dataType Pact JS recorded", () => {
    assert.equal(asDataType("42", "INTEGER"), 42);
    assert.equal(asDataType("4.5", "DECIMAL"), 4.5);
    assert.equal(asDataType("true", "BOOLEAN"), true);
    assert.equal(asDataType(7, "STRING"), "7");
    assert.equal(asDataType("x7", "INTEGER"), undefined, "a value that does not convert keeps the example");
    assert.equal(asDataType("-3", "INTEGER"), undefined, "pact_models reads an INTEGER text as unsigned");
    assert.equal(asDataType("-3", "INTEGER", true), -3, "a path or header formats it as an i64");
    assert.equal(asDataType(null, "INTEGER"), 0);
    assert.equal(asDataType(2, "BOOLEAN"), true);
    assert.equal(asDataType("42", "RAW"), "42");
    assert.equal(asDataType({ a: 1 }, "string"), '{"a":1}', "the type's name is read in any case");
  });

  it("looks a bare expression up as a key and fills ${key} templates, as pact_models does", () => {
    const values = { userId: 666, name: "Mary" };
    assert.equal(fillExpression("userId", values), 666, 'pact-jvm\'s expression: "userId"');
    assert.equal(fillExpression("${userId}", values), 666, "a whole template keeps the value's type");
    assert.equal(fillExpression("/users/${userId}/${name}", values), "/users/666/Mary");
    assert.equal(fillExpression("/textresult/${jobId}", values), undefined, "no value: keep the example");
    assert.equal(fillExpression("jobId", values), undefined);
    assert.equal(fillExpression("/a/${userId", values), undefined, "an unclosed ${ makes nothing");
    assert.equal(fillExpression("toString", values), undefined, "only the state's own keys");
    assert.equal(
      fillExpression("${id}", { providerState: { id: 7 } }),
      7,
      "values pact_verifier nests under providerState",
    );
  });

  const ctx = {
    random: () => 0.5,
    now: () => new Date("2024-03-04T05:06:07.089Z"),
    stateValues: { id: 42, name: "Mary" },
  };
  it("fills provider-state expressions, keeping a whole value's type", () => {
    const out = generateBody(
      { id: 1, label: "x", n: [1] },
      {
        "$.id": { type: "ProviderState", expression: "${id}" },
        "$.label": { type: "ProviderState", expression: "hi ${name}" },
        "$.n[*]": { type: "RandomInt", min: 5, max: 5 },
      },
      ctx,
    );
    assert.deepEqual(out, { id: 42, label: "hi Mary", n: [5] });
  });
  it("keeps the example where the provider state gives no value, and converts a bare key's value", () => {
    const out = generateBody(
      { userId: 100, path: "/textresult/1" },
      {
        "$.userId": { type: "ProviderState", expression: "userId", dataType: "INTEGER" },
        "$.path": { type: "ProviderState", expression: "/textresult/${jobId}" },
      },
      { ...ctx, stateValues: { userId: "666" } },
    );
    assert.deepEqual(out, { userId: 666, path: "/textresult/1" });
  });
  it("formats dates with Java patterns", () => {
    assert.equal(formatDate(ctx.now(), "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), "2024-03-04T05:06:07.089Z");
  });
});

describe("pact file matchers", () => {
  const pactWith = (rule: unknown) => ({
    consumer: { name: "c" },
    provider: { name: "p" },
    metadata: { pactSpecification: { version: "3.0.0" } },
    interactions: [
      {
        description: "d",
        request: { method: "GET", path: "/" },
        response: { status: 200, body: { a: "x" }, matchingRules: { body: { "$.a": rule } } },
      },
    ],
  });
  const at = ["interactions", 0, "response", "matchingRules", "body", "$.a"];
  const refused = (rule: unknown, path: (string | number)[], message: RegExp) =>
    assert.throws(
      () => readPact(pactWith(rule)),
      (err: unknown) => {
        assert.ok(err instanceof PactFileError);
        assert.equal(err.exitCode, 2);
        assert.deepEqual(err.path, [...at, ...path]);
        assert.match(err.message, message);
        return true;
      },
    );

  it("refuses, when the file is read, a matcher it does not know and a regex that does not compile", () => {
    refused({ matchers: [{ match: "typo" }] }, ["matchers", 0, "match"], /unknown matcher "typo"/);
    refused({ matchers: [{ match: "regex", regex: "([" }] }, ["matchers", 0, "regex"], /does not compile/);
    refused({ matchers: [{ match: "regex" }] }, ["matchers", 0], /needs "regex"/);
    refused({ matchers: [{ match: "include" }] }, ["matchers", 0], /needs "value"/);
    refused(
      { matchers: [{ match: "statusCode", status: "fine" }] },
      ["matchers", 0, "status"],
      /needs "status"/,
    );
    refused(
      { matchers: [{ match: "eachValue", rules: [{ match: "nope" }] }] },
      ["matchers", 0, "rules", 0, "match"],
      /unknown matcher "nope"/,
    );
    refused(
      {
        matchers: [
          {
            match: "arrayContains",
            variants: [{ index: 0, rules: { "$.x": { matchers: [{ match: "regex", regex: "*" }] } } }],
          },
        ],
      },
      ["matchers", 0, "variants", 0, "rules", "$.x", "matchers", 0, "regex"],
      /does not compile/,
    );
  });

  it("reads the spellings other writers use, and Java's leading inline flags", () => {
    const rules = (m: Record<string, unknown>) =>
      readPact(pactWith({ matchers: [m] })).interactions[0]?.response.rules.body.best(["$", "a"]);
    assert.equal(rules({ match: "real" })?.matchers[0]?.match, "decimal");
    assert.equal(rules({ match: "not-empty" })?.matchers[0]?.match, "notEmpty");
    assert.equal(rules({ match: "min-type", min: 1 })?.matchers[0]?.match, "type");
    assert.equal(applyMatcher({ match: "regex", regex: "(?i)mary" }, "x", "MARY"), undefined);
    assert.equal(applyMatcher({ match: "statusCode" }, 200, 204), undefined, "no status: success");
    // pact-jvm quotes literal parts with Pattern.quote: \Q...\E
    const quoted = { match: "regex", regex: ".*\\/(\\Qpacts\\E\\/\\Q{provider}\\E)$" };
    assert.ok(rules(quoted), "a quoted regex compiles");
    assert.equal(applyMatcher(quoted, "x", "http://b/pacts/{provider}"), undefined);
    assert.match(applyMatcher(quoted, "x", "http://b/pacts/p") ?? "", /to match/);
  });
});
