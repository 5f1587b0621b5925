/**
 * `withstand synthetic`: a multi-step transaction against a real server: values saved from one step
 * used by the next, clean-up that always runs, Checkly retries, examples with secrets redacted, and
 * document errors at file:line:col.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";

const { dir, env } = isolatedEnv();
let server: Awaited<ReturnType<typeof startServer>>;
let placeFailures = 0;
const cancelled: string[] = [];

before(async () => {
  server = await startServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.method === "POST" && req.url === "/login")
      return res.end(JSON.stringify({ token: "tok-123", user: "bot" }));
    if (req.headers.authorization !== "Bearer tok-123") {
      res.statusCode = 401;
      return res.end("{}");
    }
    if (req.method === "POST" && req.url === "/orders") {
      if (placeFailures > 0) {
        placeFailures--;
        res.statusCode = 503;
        return res.end('{"error":"busy"}');
      }
      res.statusCode = 201;
      return res.end(JSON.stringify({ id: "ord-7", status: "placed" }));
    }
    const m = /^\/orders\/(.+)$/.exec(req.url);
    if (req.method === "DELETE" && m) {
      cancelled.push(m[1] ?? "");
      res.statusCode = 204;
      return res.end();
    }
    res.statusCode = 404;
    res.end("{}");
  });
});
after(() => server.close());

function synthetic(name: string, extra = "", placeCondition = "[STATUS] == 201"): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Synthetic
metadata: {name: ${name}}
spec:
${extra}  steps:
    - name: login
      request: {method: POST, url: "${server.url}/login", json: {user: bot, password: hunter2}}
      assertions:
        - {source: JSON_BODY, property: $.token, comparison: NOT_EMPTY}
      save: {token: $.token}
    - name: place
      request:
        method: POST
        url: ${server.url}/orders
        headers: {Authorization: "Bearer \${token}"}
        json: {sku: test-1}
      conditions: ["${placeCondition}", "[BODY].status == placed"]
      save: {order: "[BODY].id"}
    - name: cancel
      alwaysRun: true
      request: {method: DELETE, url: "${server.url}/orders/\${order}", headers: {Authorization: "Bearer \${token}"}}
      conditions: ["[STATUS] == 204"]
`,
  );
  return file;
}

describe("withstand synthetic", () => {
  it("passes a transaction that uses saved values, and its examples are redacted documentation", async () => {
    const r = await runCli(["synthetic", synthetic("place-order")], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ login {2}200/);
    assert.match(r.stdout, /PASSED place-order: every step passed/);
    assert.deepEqual(cancelled.splice(0), ["ord-7"]);
    const md = await runCli(["synthetic", "examples", "place-order"], { env });
    assert.equal(md.code, 0, md.stderr);
    assert.match(
      md.stdout,
      /## place\n\n```http\nPOST http:\/\/127\.0\.0\.1:\d+\/orders\nAuthorization: \[redacted\]/,
    );
    assert.match(md.stdout, /"password": "\[redacted\]"/);
    assert.match(md.stdout, /"token": "\[redacted\]"/);
    assert.doesNotMatch(md.stdout, /tok-123|hunter2/);
    const json = await runCli(["synthetic", "examples", "place-order", "--format", "json"], { env });
    assert.equal((JSON.parse(json.stdout) as { steps: unknown[] }).steps.length, 3);
  });

  it("resolves [IP] to the address of the request's host, as Gatus does", async () => {
    placeFailures = 0;
    const r = await runCli(["synthetic", synthetic("ip", "", "[IP] == 127.0.0.1")], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const wrong = await runCli(["synthetic", synthetic("ip-wrong", "", "[IP] == pat(10.*)")], { env });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /\[IP\] is 127\.0\.0\.1/);
    cancelled.splice(0);
  });

  it("still runs the clean-up step after a failure, and fails with the first reason", async () => {
    placeFailures = 0;
    const r = await runCli(["synthetic", synthetic("wrong-status", "", "[STATUS] == 200")], { env });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ place/);
    assert.match(r.stdout, /\[STATUS\] == 200: \[STATUS\] is 201/);
    assert.match(r.stdout, /✓ cancel/);
    assert.match(r.stdout, /FAILED wrong-status: step place:/);
    cancelled.splice(0);
  });

  it("retries a failed run with Checkly's strategy until it passes", async () => {
    placeFailures = 2;
    const r = await runCli(
      [
        "synthetic",
        synthetic("retried", "  retry: {type: FIXED, baseBackoffSeconds: 0.05, maxRetries: 3}\n"),
        "--json",
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stdout);
    const body = JSON.parse(r.stdout) as { ok: boolean; attempts: number };
    assert.equal(body.attempts, 3);
    // Each backoff is announced on the terminal before it is waited out.
    assert.match(
      r.stderr,
      /retried: attempt 1 failed \(step place: \[STATUS\] == 201: \[STATUS\] is 503\); retry 1 of 3 in 0\.05s \(FIXED backoff\)\n/,
    );
    assert.match(r.stderr, /retry 2 of 3 in 0\.05s/);
    // Checkly's own name for the strategy, with sameRegion: one region here, and it says so.
    placeFailures = 1;
    const checkly = await runCli(
      [
        "synthetic",
        synthetic(
          "checkly-retry",
          "  retryStrategy: {type: FIXED, baseBackoffSeconds: 0.01, maxRetries: 1, sameRegion: false}\n",
        ),
        "--json",
      ],
      { env },
    );
    assert.equal(checkly.code, 0, checkly.stdout + checkly.stderr);
    assert.equal((JSON.parse(checkly.stdout) as { attempts: number }).attempts, 2);
    assert.match(checkly.stderr, /checkly-retry\.yaml:\d+:\d+: warning: .*single region/);
    placeFailures = 5;
    const giveUp = await runCli(
      [
        "synthetic",
        synthetic("gives-up", "  retry: {type: LINEAR, baseBackoffSeconds: 0.01, maxRetries: 2}\n"),
        "--json",
      ],
      { env },
    );
    assert.equal(giveUp.code, 1);
    assert.equal((JSON.parse(giveUp.stdout) as { attempts: number }).attempts, 3);
    placeFailures = 0;
  });

  it("reports document errors at file:line:col with exit 2", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: Synthetic
metadata: {name: bad}
spec:
  steps:
    - name: one
      request: {url: "http://127.0.0.1:1/"}
      conditions: ["[CERTIFICATE_EXPIRATION] > 48h"]
      assertions:
        - {source: STATUS, comparison: EQUALS, target: 200}
      alwaysrun: true
`,
    );
    const r = await runCli(["synthetic", file], { env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /bad\.yaml:11:\d+: spec\.steps\[0\]\.alwaysrun: unknown key \(did you mean alwaysRun\?\)/,
    );
    assert.match(
      r.stderr,
      /bad\.yaml:10:\d+: spec\.steps\[0\]\.assertions\[0\]\.source: got the string "STATUS"/,
    );
    const v = await runCli(["validate", file], { env });
    assert.equal(v.code, 2);
  });
});
