import assert from "node:assert/strict";
import { it } from "node:test";
import { parseStoreLocation, redactStoreUrl, scrubStoreSecrets } from "../../src/store/url.js";

it("redacts the user info's password, even one holding an unencoded @ or /", () => {
  assert.equal(redactStoreUrl("postgres://ws:pa@ss@db:5432/x"), "postgres://ws:***@db:5432/x");
  assert.equal(redactStoreUrl("postgres://ws:pa/ss@db/x"), "postgres://ws:***@db/x");
  assert.equal(redactStoreUrl("postgres://ws@db/x"), "postgres://ws@db/x");
  assert.equal(redactStoreUrl("/tmp/store.db"), "/tmp/store.db");
});

it("redacts password and sslpassword query parameters, whatever their case", () => {
  assert.equal(
    redactStoreUrl("postgres://ws@db/x?sslmode=require&password=hunter2&PassWord=a&sslpassword=b&schema=s"),
    "postgres://ws@db/x?sslmode=require&password=***&PassWord=***&sslpassword=***&schema=s",
  );
});

it("parses a password with an unencoded @ so the host stays the host", () => {
  const loc = parseStoreLocation("postgres://ws:pa@ss@db.local:5432/x?schema=s1");
  assert.equal(loc.kind, "postgres");
  if (loc.kind !== "postgres") return;
  const u = new URL(loc.connectionString);
  assert.equal(u.hostname, "db.local");
  assert.equal(decodeURIComponent(u.password), "pa@ss");
  assert.equal(loc.schema, "s1");
  assert.equal(loc.url, "postgres://ws:***@db.local:5432/x?schema=s1");
});

it("scrubs a URL's secrets from a driver's message, as written and decoded", () => {
  const url = "postgres://ws:a%20b@db/x?password=c%2Bd";
  assert.equal(scrubStoreSecrets("got a b and c+d and a%20b", url), "got *** and *** and ***");
});
