import assert from "node:assert/strict";
import { resolve } from "node:path";
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

it("reads sqlite: and file: URLs as SQLite's URI filenames do, never as a file named sqlite:...", () => {
  const path = (given: string) => {
    const loc = parseStoreLocation(given);
    assert.equal(loc.kind, "sqlite", given);
    return loc.kind === "sqlite" ? loc.path : "";
  };
  assert.equal(path("sqlite:/abs/path/s.db"), "/abs/path/s.db");
  assert.equal(path("sqlite:///abs/path/s.db"), "/abs/path/s.db");
  assert.equal(path("sqlite:////abs/path/s.db"), "/abs/path/s.db");
  assert.equal(path("sqlite://localhost/abs/s.db"), "/abs/s.db");
  assert.equal(path("SQLite:/abs/s.db?mode=rwc"), "/abs/s.db");
  assert.equal(path("file:/abs/s.db"), "/abs/s.db");
  assert.equal(path("file:///abs/my%20runs.db"), "/abs/my runs.db");
  assert.equal(path("sqlite:rel/s.db"), resolve("rel/s.db"));
  assert.equal(path("sqlite://s.db"), resolve("s.db"));
  for (const given of ["sqlite:/abs/s.db", "sqlite:rel.db", "sqlite://s.db"])
    assert.ok(!path(given).includes("sqlite:"), given);
});

it("refuses a sqlite: URL that names no local file, saying what to write", () => {
  for (const [given, want] of [
    [
      "sqlite://db.example/abs/s.db",
      /a SQLite store is a file on this machine \(expected sqlite:\/abs\/path\.db/,
    ],
    ["sqlite:", /names no file/],
    ["sqlite::memory:", /would lose every run/],
  ] as const)
    assert.throws(() => parseStoreLocation(given), want, given);
});
