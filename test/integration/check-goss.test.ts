/**
 * Gossfiles as Goss runs them: services, empty lists that assert nothing, HTTP checks that skip what a
 * failed status makes meaningless, YAML merge keys, Go's regular expressions, and `validate` rendering
 * templates with --vars as `check` does.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

const { dir, env } = isolatedEnv();
let server: Server;
let base = "";

before(async () => {
  // Echoes the request headers as JSON, as httpbin's /headers does; /down answers 500.
  server = createServer((req, res) => {
    if (req.url === "/down") {
      res.writeHead(500).end("down");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ headers: { "User-Agent": req.headers["user-agent"] } }, null, 2));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((done) => server.close(() => done())));

const check = (file: string, text: string, ...args: string[]) => {
  writeFileSync(join(dir, file), text);
  return runCli(["check", file, ...args], { env: { ...env, NO_COLOR: "1" }, cwd: dir });
};

describe("Gossfiles as Goss runs them", () => {
  it("counts no test for an empty list (Goss's own goss-serve.yaml: Count 2, Failed 0, Skipped 0)", async () => {
    const serve = await check(
      "goss-serve.yaml",
      "command:\n  hello world:\n    exec: echo 'hi'\n    exit-status: 0\n    stdout:\n      - hi\n    stderr: []\n",
    );
    assert.equal(serve.code, 0, serve.stdout + serve.stderr);
    assert.match(serve.stdout, /Count: 2, Failed: 0, Skipped: 0/);
    assert.match(serve.stderr, /goss-serve\.yaml:7:5: .*stderr: is an empty list, which asserts nothing/);
    // `goss add file /etc` writes `contents: []` for a directory: no test, so no read of a directory.
    const directory = await check("dir.yaml", `file:\n  ${dir}:\n    exists: true\n    contents: []\n`);
    assert.equal(directory.code, 0, directory.stdout + directory.stderr);
    assert.match(directory.stdout, /Count: 1, Failed: 0, Skipped: 0/);
  });

  it("checks services with the init system Goss would pick here; a service no init system knows is neither enabled nor running", async () => {
    const r = await check(
      "service.yaml",
      "service:\n  withstand-no-such-service:\n    enabled: false\n    running: false\n  skippable:\n    enabled: true\n    running: true\n    skip: true\n",
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Count: 4, Failed: 0, Skipped: 2/);
    assert.match(r.stdout, /Service: skippable: enabled: skipped/);
    const down = await check(
      "service-down.yaml",
      "service:\n  withstand-no-such-service:\n    running: true\n",
    );
    assert.equal(down.code, 1);
    assert.match(
      down.stdout,
      /Service: withstand-no-such-service: running:\nExpected\n {4}false\nto equal\n {4}true\n/,
    );
  });

  it("skips headers and body when the status fails, and identifies itself as Goss does", async () => {
    const down = await check(
      "down.yaml",
      `http:\n  ${base}/down:\n    status: 200\n    headers: ["Content-Type: application/json"]\n    body: ["ok"]\n`,
    );
    assert.equal(down.code, 1);
    assert.match(down.stdout, /Count: 3, Failed: 1, Skipped: 2/);
    // The body pattern of Goss's own integration suite (goss-shared.yaml) for its User-Agent.
    const ua = await check(
      "ua.yaml",
      `http:\n  ${base}/headers:\n    status: 200\n    body:\n      - '/"User-Agent": "goss/v?[0-9]+.[0-9]+.[0-9]+(-next)?"/'\n`,
    );
    assert.equal(ua.code, 0, ua.stdout);
    const own = await check(
      "ua-own.yaml",
      `http:\n  ${base}/headers:\n    status: 200\n    request-headers: ["User-Agent: mine"]\n    body: ['"User-Agent": "mine"']\n`,
    );
    assert.equal(own.code, 0, own.stdout);
  });

  it("resolves YAML merge keys in Gossfiles and vars files", async () => {
    writeFileSync(
      join(dir, "merge-vars.yaml"),
      "defaults: &d\n  user: root\nprod:\n  <<: *d\n  shell: /bin/sh\n",
    );
    const r = await check(
      "merge.yaml",
      [
        "command:",
        "  base: &base",
        "    exec: echo merged",
        "    exit-status: 0",
        "  merged:",
        "    <<: *base",
        "    stdout: [merged]",
        "matching:",
        "  from-vars:",
        "    content: '{{ .Vars.prod.user }}'",
        "    matches: root",
        "",
      ].join("\n"),
      "--vars",
      "merge-vars.yaml",
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Count: 4, Failed: 0, Skipped: 0/);
  });

  it("reads regular expressions as Go does, and refuses one Go would refuse, naming it", async () => {
    const r = await check(
      "re.yaml",
      "command:\n  echo 'a.b 42':\n    exit-status: 0\n    stdout: ['/^\\Qa.b\\E [[:digit:]]+$/', '!/(?i)A\\.B 4[^2]/']\n",
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const bad = await check(
      "re-bad.yaml",
      "command:\n  echo x:\n    exit-status: 0\n    stdout: ['/(?=x)/']\n",
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /re-bad\.yaml:4:13: .*invalid regular expression \/\(\?=x\)\//);
  });

  it("words results as Goss does: compact summary lines in JSON, an error for a list matcher on a reader", async () => {
    const r = await check(
      "reader.yaml",
      "matching:\n  negated_reader:\n    as-reader: true\n    content: |\n      foo bar\n      moo cow\n    matches:\n      not: [foo]\n  n:\n    content: 3\n    matches: 4\n",
      "-f",
      "json",
    );
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as {
      results: {
        "resource-id": string;
        err: string | null;
        "summary-line": string;
        "summary-line-compact": string;
      }[];
    };
    const byId = new Map(report.results.map((x) => [x["resource-id"], x]));
    assert.equal(
      byId.get("n")?.["summary-line-compact"],
      "Matching: n: matches: Expected 3 to be numerically eq 4",
    );
    assert.match(
      byId.get("negated_reader")?.err ?? "",
      /^ContainElements matcher expects an array\/slice\/map/,
    );
    assert.equal(
      byId.get("negated_reader")?.["summary-line"],
      "Matching: negated_reader: matches:\nError\n    ContainElements matcher expects an array/slice/map.  Got:\n        <string>: foo bar\n        moo cow",
    );
  });

  it("validates a templated Gossfile rendered with --vars, as check reads it", async () => {
    writeFileSync(join(dir, "v-vars.yaml"), "param: kernel.ostype\n");
    writeFileSync(
      join(dir, "v.yaml"),
      "kernel-param:\n  ostype:\n    name: '{{ .Vars.param }}'\n    value: Linux\ncommand:\n  'true':\n    exit-status: 0\n    stdout:\n",
    );
    const v = await runCli(["validate", "v.yaml", "--vars", "v-vars.yaml"], { env, cwd: dir });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /v\.yaml: valid Gossfile \(2 entries/);
    const c = await runCli(["check", "v.yaml", "--vars", "v-vars.yaml"], { env, cwd: dir });
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /Count: 2, Failed: 0/);
    // Without the vars the template cannot render, in validate as in check (Goss's missingkey=error).
    const missing = await runCli(["validate", "v.yaml"], { env, cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /v\.yaml:3:1: .*map has no entry for key "param"/);
  });
});
