import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { substitute, substituteUrl, unresolvedNames } from "../../src/core/substitute.js";

describe("substitution", () => {
  const scopes = [
    { port: 8080, host: "127.0.0.1", saved: { status: 200 } },
    { token: "abc", port: 1 },
  ];

  it("keeps the type of a whole-string reference", () => {
    assert.equal(substitute("${port}", scopes), 8080);
    assert.deepEqual(substitute({ a: ["${saved}"] }, scopes), { a: [{ status: 200 }] });
  });

  it("stringifies inside longer text, configuration before secrets", () => {
    assert.equal(substitute("http://${host}:${port}/x?t=${token}", scopes), "http://127.0.0.1:8080/x?t=abc");
  });

  it("walks into saved outputs with dots", () => {
    assert.equal(substitute("${saved.status}", scopes), 200);
  });

  it("leaves unknown names as they are, and reports them", () => {
    assert.equal(substitute("${nope}/x", scopes), "${nope}/x");
    assert.deepEqual(unresolvedNames({ u: "${nope} ${host}" }, scopes), ["nope"]);
  });

  it("keeps a __proto__ key as data", () => {
    const v = JSON.parse('{"__proto__": {"x": "${host}"}}');
    const out = substitute(v, scopes) as Record<string, unknown>;
    assert.ok(Object.hasOwn(out, "__proto__"));
    assert.deepEqual(Object.getPrototypeOf(out), Object.prototype);
  });

  it("never throws and is the identity on values without references", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        const out = substitute(v, scopes);
        if (!text.includes("${")) assert.deepEqual(out, v);
      }),
    );
  });

  it("encodes a value for the URL component it lands in, so a secret never spills into the host", () => {
    const sc = [{ base: "http://127.0.0.1:8080", host: "127.0.0.1", tok: "a@b/c:d?e#f%g+h i" }];
    const enc = encodeURIComponent("a@b/c:d?e#f%g+h i");
    assert.equal(substituteUrl("${base}/x?t=${tok}", sc), `http://127.0.0.1:8080/x?t=${enc}`);
    const basic = new URL(String(substituteUrl("http://bob:${tok}@${host}:8080/p", sc)));
    assert.equal(basic.hostname, "127.0.0.1");
    assert.equal(decodeURIComponent(basic.password), "a@b/c:d?e#f%g+h i");
    assert.equal(
      substituteUrl("http://${host}/a/${tok}", sc),
      `http://127.0.0.1/a/${enc.replaceAll("%2F", "/")}`,
    );
    assert.equal(substituteUrl("${base}", sc), "http://127.0.0.1:8080");
  });
});
