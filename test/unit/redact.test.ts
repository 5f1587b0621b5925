import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { redact } from "../../src/core/redact.js";

describe("secret redaction", () => {
  const secret = "p@ss w/rd&x=1";
  it("replaces a secret in the forms encodeURI and the URL parser give it (user info, path, query, fragment)", () => {
    const s = "p@ss/w:rd?x#y%z+q w[1]";
    const url = new URL("http://h/");
    url.username = s;
    url.password = s;
    url.pathname = `/${s}`;
    url.search = `?t=${s}`;
    url.hash = `#${s}`;
    const text = `${url.toString()} ${encodeURI(s)}`;
    const out = redact(text, [s]);
    assert.ok(!out.includes("ss/w") && !out.includes("%25z"), out);
    assert.equal(out, redact(out, [s]));
  });
  it("replaces a secret as written, URL-encoded, form-encoded and JSON-escaped", () => {
    const out = redact(
      {
        plain: `token ${secret}`,
        url: `http://h/x?t=${encodeURIComponent(secret)}`,
        form: `a=1&t=${new URLSearchParams({ t: secret }).toString().slice(2)}`,
        json: JSON.stringify({ t: `${secret}"quoted"` }),
      },
      [secret, `${secret}"quoted"`],
    );
    assert.doesNotMatch(JSON.stringify(out), /p@ss|p%40ss|rd%26x/);
    assert.equal(out.url, "http://h/x?t=***");
  });

  it("replaces HTTP basic auth whose user:password holds the secret", () => {
    const header = `Basic ${Buffer.from(`deploy:${secret}`).toString("base64")}`;
    assert.equal(redact(header, [secret]), "Basic ***");
    assert.equal(
      redact("Basic dXNlcjpvdGhlcg==", [secret]),
      "Basic dXNlcjpvdGhlcg==",
      "other credentials stay",
    );
  });

  it("never leaves a secret in any of its encodings (property)", () => {
    // Text around a secret is arbitrary; around a base64 token it is what delimits one (a space, a quote).
    const delimiter = fc.constantFrom(" ", '"', ",", "\n", "");
    fc.assert(
      fc.property(
        fc.string({ minLength: 3, maxLength: 24 }),
        fc.string({ maxLength: 20 }),
        delimiter,
        (s, around, d) => {
          fc.pre(s.trim().length >= 3);
          for (const form of [s, encodeURIComponent(s), new URLSearchParams({ x: s }).toString().slice(2)]) {
            const out = redact(`${around}${form}${around}`, [s]);
            assert.ok(!out.includes(form) || around.includes(form), `${JSON.stringify(form)} in ${out}`);
          }
          const basic = Buffer.from(`user:${s}`).toString("base64");
          assert.equal(redact(`Basic${d || " "}${basic}${d}`, [s]), `Basic${d || " "}***${d}`);
        },
      ),
    );
  });
});
