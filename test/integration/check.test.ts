/**
 * `withstand check` as CI and monitoring run it: Gossfiles with templates, vars and includes, Goss's
 * output formats and exit codes, retries until a service is up, standard input, a real DNS server.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DnsServer } from "../../src/dns/server.js";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { stopChild } from "../helpers/processes.js";

const { dir, env } = isolatedEnv();
const dns = new DnsServer(undefined);
let dnsPort = 0;

before(async () => {
  dns.addRecord("inventory.demo", ["10.1.1.1", "10.1.1.2"]);
  dnsPort = (await dns.listen("127.0.0.1", 0)).port;
  writeFileSync(join(dir, "vars.yaml"), "greeting: hello\ndebian:\n  packages:\n    bash: any\n");
  mkdirSync(join(dir, "conf.d"));
  // An included file with no tests is fine; only a total of none fails.
  writeFileSync(join(dir, "empty.yaml"), "# nothing to check here\n");
  writeFileSync(join(dir, "conf.d", "a.yaml"), "kernel-param:\n  kernel.ostype:\n    value: Linux\n");
  writeFileSync(join(dir, "conf.d", "b.yaml"), "user:\n  root:\n    exists: true\n");
  writeFileSync(
    join(dir, "goss.yaml"),
    `gossfile:
  conf.d/*.yaml: {}
  skipped.yaml: {skip: true}
  empty.yaml: {}
command:
  "echo {{ .Vars.greeting }}":
    title: greets
    meta: {team: sre}
    exit-status: 0
    stdout: "{{ .Vars.greeting }}\\n"
package:
{{- range $name, $_ := index .Vars .Env.OS "packages" }}
  {{ $name }}:
    installed: true
{{- end }}
dns:
  inventory.demo:
    resolvable: true
    server: 127.0.0.1:${"{{ .Env.DNS_PORT }}"}
    addrs: {consist-of: [10.1.1.1, 10.1.1.2]}
    timeout: 2000
`,
  );
  writeFileSync(
    join(dir, "failing.yaml"),
    'command:\n  "echo nope":\n    exit-status: 0\n    stdout: [yes]\n  "true":\n    exit-status: 0\n',
  );
});
after(() => dns.close());

const checkEnv = () => ({ ...env, OS: "debian", DNS_PORT: String(dnsPort), NO_COLOR: "1" });
const check = (...args: string[]) => runCli(["check", ...args], { env: checkEnv(), cwd: dir });

describe("withstand check", () => {
  it("runs a templated Gossfile with vars and includes; a skipped include is not read at all", async () => {
    // skipped.yaml does not exist: Goss skips the include before looking for it.
    const r = await check("goss.yaml", "--vars", "vars.yaml");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\.{7}\n/);
    assert.match(r.stdout, /Count: 7, Failed: 0, Skipped: 0/);
    writeFileSync(join(dir, "nothing.yaml"), "gossfile:\n  empty.yaml: {}\n");
    const none = await check("nothing.yaml");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /found 0 tests/);
    writeFileSync(
      join(dir, "noglob.yaml"),
      "gossfile:\n  none.d/*.yaml: {}\nuser:\n  root:\n    exists: true\n",
    );
    const noMatch = await check("noglob.yaml");
    assert.equal(noMatch.code, 2);
    assert.match(noMatch.stderr, /noglob\.yaml:2:3: .*no matched files were found/);
  });

  it("speaks Goss's formats with Goss's exit codes", async () => {
    const json = await check("failing.yaml", "-f", "json");
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as {
      results: { "resource-type": string; property: string; result: number; "summary-line": string }[];
      summary: { "test-count": number; "failed-count": number };
    };
    assert.equal(report.summary["test-count"], 3);
    assert.equal(report.summary["failed-count"], 1);
    const failed = report.results.find((x) => x.result === 1);
    assert.equal(failed?.property, "stdout");
    assert.equal(failed?.["resource-type"], "Command");

    const tap = await check("failing.yaml", "-f", "tap");
    assert.deepEqual(tap.stdout.split("\n").slice(0, 1), ["1..3"]);
    assert.equal(tap.stdout.match(/^not ok \d+ - /gm)?.length, 1);

    const junit = await check("failing.yaml", "-f", "junit");
    assert.match(junit.stdout, /<testsuite name="goss" errors="0" tests="3" failures="1" skipped="0"/);
    assert.equal(junit.stdout.match(/<testcase /g)?.length, 3);

    const nagios = await check("failing.yaml", "-f", "nagios", "-o", "perfdata");
    assert.equal(nagios.code, 2);
    assert.match(
      nagios.stdout,
      /^GOSS CRITICAL - Count: 3, Failed: 1, Skipped: 0, Duration: \d+\.\d{3}s\|total=3 failed=1 skipped=0/,
    );
    const ok = await check("conf.d/a.yaml", "-f", "nagios");
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^GOSS OK - Count: 1, Failed: 0, Skipped: 0/);

    const prom = await check("failing.yaml", "-f", "prometheus");
    assert.match(prom.stdout, /^goss_tests_outcomes_total\{type="command",outcome="fail"\} 1$/m);
    assert.match(prom.stdout, /^goss_tests_outcomes_total\{type="command",outcome="pass"\} 2$/m);
    assert.match(prom.stdout, /^goss_tests_run_duration_milliseconds\{outcome="fail"\} \d/m);
    assert.match(prom.stdout, /^goss_tests_run_outcomes_total\{outcome="fail"\} 1$/m);

    const doc = await check("goss.yaml", "--vars", "vars.yaml", "-f", "documentation");
    assert.match(
      doc.stdout,
      /Title: greets\nMeta:\n {4}team: sre\nCommand: echo hello: exit-status: matches expectation: 0/,
    );

    const rspec = await check("failing.yaml");
    assert.match(rspec.stdout, /Command: echo nope: stdout:\nExpected\n/);
    assert.match(rspec.stdout, /the missing elements were/);
  });

  it("reads GOSS_* variables and standard input", async (t) => {
    const viaEnv = await runCli(["check"], {
      env: { ...checkEnv(), GOSS_FILE: join(dir, "conf.d", "a.yaml"), GOSS_FMT: "tap" },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(
      viaEnv.stdout,
      /^1\.\.1\nok 1 - KernelParam: kernel\.ostype: value: matches expectation: "Linux"/,
    );
    const stdin = startCli(["check", "-", "-f", "tap"], { env: checkEnv(), stdin: true });
    t.after(() => stopChild(stdin));
    stdin.stdin?.end("matching:\n  n:\n    content: 3\n    matches: {gt: 2}\n");
    const r = await finished(stdin);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok 1 - Matching: n: matches: matches expectation/);
  });

  it("retries until the system is ready (--retry-timeout, --sleep)", async (t) => {
    const flag = join(dir, "ready.flag");
    writeFileSync(join(dir, "wait.yaml"), `file:\n  ${flag}:\n    exists: true\n`);
    const child = startCli(["check", "wait.yaml", "--retry-timeout", "20s", "--sleep", "100ms"], {
      env: checkEnv(),
      cwd: dir,
    });
    t.after(() => stopChild(child));
    // The first failed attempt says it will retry; the service comes up then.
    await new Promise<void>((done) => {
      child.stderr?.on("data", (d: Buffer) => {
        if (d.toString().includes("Retrying")) done();
      });
    });
    writeFileSync(flag, "up");
    const r = await finished(child);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Count: 1, Failed: 0/);
  });

  it("refuses what it cannot run at file:line:col, with exit 2", async () => {
    writeFileSync(
      join(dir, "bad.yaml"),
      "registry:\n  x:\n    exists: true\nfile:\n  /etc/passwd:\n    exits: true\n",
    );
    const r = await check("bad.yaml");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:1:1: registry: the Goss resource type registry is not supported/);
    assert.match(
      r.stderr,
      /bad\.yaml:6:5: file\.\/etc\/passwd\.exits: unknown file attribute exits \(did you mean exists\?\)/,
    );
    writeFileSync(join(dir, "tpl.yaml"), "file:\n  {{ nosuch .Env.HOME }}:\n    exists: true\n");
    const t = await check("tpl.yaml");
    assert.equal(t.code, 2);
    assert.match(t.stderr, /tpl\.yaml:2:1: template line 2: function "nosuch" is not defined/);
    const v = await runCli(["validate", "bad.yaml", "conf.d/a.yaml"], { env: checkEnv(), cwd: dir });
    assert.equal(v.code, 2);
    assert.match(v.stderr, /bad\.yaml:6:5: file\.\/etc\/passwd\.exits: unknown file attribute exits/);
    assert.match(v.stdout, /a\.yaml: valid Gossfile \(\d+ entries/);
    const f = await check("goss.yaml", "-f", "xml");
    assert.equal(f.code, 2);
    assert.match(f.stderr, /--format xml: expected one of rspecish, documentation, json/);
    const missing = await check("nope.yaml");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml:1:1: cannot read: no such file/);
  });
});
