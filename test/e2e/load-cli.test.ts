import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../src/proxy/listen.js";
import { runCli } from "../helpers/cli.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";
import { startTarget } from "../helpers/processes.js";

const { dir, env } = isolatedEnv();
let target: Awaited<ReturnType<typeof startTarget>>;
before(async () => {
  target = await startTarget(["--fail-every", "50"]);
});
after(() => target.stop());

describe("withstand load", () => {
  it("quick form: writes a k6-style summary export, NDJSON windows and stores the run", async () => {
    const summary = join(dir, "summary.json");
    const ndjson = join(dir, "windows.ndjson");
    const r = await runCli(
      [
        "load",
        `${target.url}/orders`,
        "--rate",
        "300/s",
        "--duration",
        "2s",
        "--threshold",
        "http_req_failed=rate<0.05",
        "--threshold",
        "http_req_duration=p(99)<2000",
        "--summary-json",
        summary,
        "--summary-data",
        join(dir, "summary-data.json"),
        "--out",
        `ndjson=${ndjson}`,
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /█ THRESHOLDS\n\n {4}http_req_failed\n {4}✓ 'rate<0.05' rate=2\.00%/);
    // k6's --summary-export shape: flattened values, `value` for rates, thresholds true = FAILED, a root group.
    const s = JSON.parse(readFileSync(summary, "utf8"));
    assert.deepEqual(s.root_group, {
      name: "",
      path: "",
      id: "d41d8cd98f00b204e9800998ecf8427e",
      groups: {},
      checks: {},
    });
    assert.equal(s.metrics.http_reqs.count, 600);
    assert.equal(typeof s.metrics.http_reqs.rate, "number");
    assert.equal(s.metrics.http_req_failed.value, 0.02);
    assert.equal(s.metrics.http_req_failed.passes, 12);
    assert.equal(s.metrics.http_req_failed.fails, 588);
    for (const k of ["avg", "min", "med", "max", "p(90)", "p(95)"])
      assert.equal(typeof s.metrics.http_req_duration[k], "number", k);
    assert.deepEqual(s.metrics.http_req_failed.thresholds, { "rate<0.05": false });
    assert.deepEqual(s.metrics.http_req_duration.thresholds, { "p(99)<2000": false });
    assert.equal(s.metrics.dropped_iterations.count, 0);
    // The handleSummary(data) shape keeps its own flag.
    const data = JSON.parse(readFileSync(join(dir, "summary-data.json"), "utf8"));
    assert.equal(data.metrics.http_req_failed.values.rate, 0.02);
    assert.deepEqual(data.metrics.http_req_failed.thresholds, { "rate<0.05": { ok: true } });
    // What k6's summary library (textSummary(data)) reads: the root group's groups and checks as lists,
    // the options' trend columns (each present on every trend metric), each metric's type and unit.
    assert.deepEqual(data.root_group, {
      name: "",
      path: "",
      id: "d41d8cd98f00b204e9800998ecf8427e",
      groups: [],
      checks: [],
    });
    assert.deepEqual(data.options, {
      summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)"],
      summaryTimeUnit: "",
      noColor: false,
    });
    assert.equal(data.state.isStdOutTTY, false);
    assert.equal(typeof data.state.testRunDurationMs, "number");
    for (const [name, m] of Object.entries(
      data.metrics as Record<string, { type: string; contains: string; values: Record<string, number> }>,
    )) {
      assert.ok(["counter", "gauge", "rate", "trend"].includes(m.type), name);
      assert.ok(["default", "time", "data"].includes(m.contains), name);
      if (m.type === "trend")
        for (const stat of data.options.summaryTrendStats)
          assert.equal(typeof m.values[stat], "number", `${name} ${stat}`);
    }
    const lines = readFileSync(ndjson, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(lines.length >= 2);
    assert.equal(
      lines.reduce((n, l) => n + l.count, 0),
      600,
    );
    assert.equal(typeof lines[0].latency, "string");
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout);
    assert.equal(runs.runs[0].kind, "load");
    assert.equal(runs.runs[0].outcome, "passed");
    const detail = JSON.parse((await runCli(["runs", "show", runs.runs[0].id, "--json"], { env })).stdout);
    assert.ok(detail.windows.length >= 2);
    assert.equal(detail.result.metrics.http_reqs.values.count, 600);
  });

  it("a run where every request failed is not passed: the default gate fails it (exit 1)", async () => {
    const closed = await freePort();
    const r = await runCli(["load", `http://127.0.0.1:${closed}/`, "--rate", "20/s", "--duration", "1s"], {
      env,
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✗ 'rate<0\.5' rate=100\.00%/);
    assert.match(r.stdout, /no thresholds given: the default gate http_req_failed rate<0\.5 judged this run/);
    assert.match(r.stdout, /thresholds failed \(exit 1\)/);
    // One meaning for every kind (core/run-outcome.ts): the run completed, and the system failed it.
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout).runs as {
      status: string;
      outcome: string;
      deviated: boolean;
    }[];
    assert.deepEqual(
      runs[0] && { status: runs[0].status, outcome: runs[0].outcome, deviated: runs[0].deviated },
      { status: "completed", outcome: "thresholds-failed", deviated: true },
    );
  });

  it("exits 1 when a threshold fails", async () => {
    const r = await runCli(
      [
        "load",
        `${target.url}/`,
        "--rate",
        "100/s",
        "--duration",
        "1s",
        "--threshold",
        "http_req_failed=rate<0.001",
        "--quiet",
      ],
      { env },
    );
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^thresholds failed \(run [\w-]+, exit 1\)\n$/);
    // `runs show` tells what a finished load run found (it said "the run did not finish").
    const id = /run ([\w-]+)/.exec(r.stdout)?.[1] ?? "";
    const shown = await runCli(["runs", "show", id], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, /did not finish/);
    assert.match(shown.stdout, /^reason {4}thresholds failed$/m);
    assert.match(
      shown.stdout,
      /^ {2}✗ thresholds: http_req_failed rate<0\.001 \(threshold http_req_failed rate<0\.001 crossed\)$/m,
    );
  });

  it("reports a malformed threshold at its file:line:col and exits 2", async () => {
    const file = fixture("load", "bad-threshold.yaml");
    const r = await runCli(["load", file], { env });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `${file}:9:38: spec.thresholds.http_req_duration[1]: invalid threshold "p99 < 300" (expected AGGREGATION OPERATOR NUMBER, e.g. "p(99)<300" or "rate<0.01")\n` +
        `${file}:10:61: spec.thresholds.http_req_failed[0].abortOnFail: got "maybe" (expected true or false)\n`,
    );
    const v = await runCli(["validate", file], { env });
    assert.equal(v.code, 2);
  });

  it("refuses targets that are not loopback without --allow-remote, and bad flags", async () => {
    const r = await runCli(["load", "http://example.com/", "--rate", "1/s", "--duration", "1s"], { env });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "withstand: error WS_USAGE: http://example.com/: not a loopback address; pass --allow-remote to load another host\n",
    );
    const bad = await runCli(["load", `${target.url}/`, "--rate", "fast"], { env });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "withstand: error WS_USAGE: --rate fast: expected requests per second such as 1000/s, 600/m or 50\n",
    );
  });

  it("runs segments in separate processes and merges their HDR logs exactly, re-evaluating thresholds", async () => {
    const doc = join(dir, "lt.yaml");
    writeFileSync(
      doc,
      `apiVersion: withstand/v1
kind: LoadTest
metadata: {name: segmented}
spec:
  requests:
    - {url: "${target.url}/a", weight: 3}
    - {url: "${target.url}/b", method: POST, body: "{}", weight: 1}
  executor: constant-arrival-rate
  rate: 400/s
  duration: 2s
  thresholds:
    http_reqs: ["count==800"]
    http_req_failed: ["rate<0.05"]
`,
    );
    const logs = [join(dir, "s1.hlog"), join(dir, "s2.hlog")];
    const [a, b] = await Promise.all([
      runCli(["load", doc, "--segment", "1/2", "--hdr-log", logs[0] ?? "", "--quiet"], { env }),
      runCli(["load", doc, "--segment", "2/2", "--hdr-log", logs[1] ?? "", "--quiet"], { env }),
    ]);
    // Each half alone fails count==800; together they pass.
    assert.equal(a.code, 1);
    assert.equal(b.code, 1);
    const merged = join(dir, "merged.json");
    const m = await runCli(["load", "merge", ...logs, "--summary-json", merged], { env });
    assert.equal(m.code, 0, m.stdout + m.stderr);
    const s = JSON.parse(readFileSync(merged, "utf8"));
    assert.equal(s.metrics.http_reqs.count, 800);
    assert.equal(s.metrics.http_req_failed.passes, 16);
    assert.deepEqual(s.metrics.http_reqs.thresholds, { "count==800": false });
  });
});

describe("k6 sub-metric thresholds (tagged requests)", () => {
  // A server whose static files are slow and whose /missing is a 404: each tag's numbers differ.
  const server = createServer((req, res) => {
    if (req.url === "/static") setTimeout(() => res.end("static"), 40);
    else if (req.url === "/missing") res.writeHead(404).end();
    else res.end("api");
  });
  let url = "";
  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const doc = (thresholds: string) => `apiVersion: withstand/v1
kind: LoadTest
metadata: {name: tagged}
spec:
  rate: 200/s
  duration: 2s
  requests:
    - {url: ${url}/api, tags: {type: API}, weight: 2}
    - {url: ${url}/static, tags: {type: static}}
    - {url: ${url}/missing, tags: {type: API, name: missing}}
  thresholds:
${thresholds}
`;

  it("judges each sub-metric on its own requests and exports each as a k6 metric", async () => {
    const file = join(dir, "tagged.yaml");
    writeFileSync(
      file,
      doc(`    http_req_duration{type:API}: ["min>=30"]
    "http_req_duration{ type: static }": ["min>=30"]
    http_reqs{status:404}: ["count>50"]
    http_req_failed{expected_response:true}: ["rate==0"]
    http_req_failed{name:missing}: ["rate==1"]
    http_req_failed: ["rate<0.5"]`),
    );
    const summary = join(dir, "tagged-summary.json");
    const r = await runCli(["load", file, "--summary-json", summary], { env });
    // Static files take at least 40 ms (timers may fire up to 1 ms early), so only their sub-metric holds
    // min>=30; the API's fails.
    assert.equal(r.code, 1, `the API threshold fails: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /http_req_duration\{type:API\}\n\s+✗ 'min>=30'/);
    assert.match(r.stdout, /http_req_duration\{ type: static \}\n\s+✓ 'min>=30' min=\d/);
    const m = JSON.parse(readFileSync(summary, "utf8")).metrics;
    assert.deepEqual(m["http_req_duration{type:API}"].thresholds, { "min>=30": true });
    assert.deepEqual(m["http_req_duration{ type: static }"].thresholds, { "min>=30": false });
    assert.ok(m["http_req_duration{ type: static }"].min >= 30);
    const missing = m["http_reqs{status:404}"].count;
    assert.ok(missing > 50 && missing < 160, `a quarter of 400 requests: ${missing}`);
    assert.equal(m["http_req_failed{expected_response:true}"].value, 0);
    assert.equal(m["http_req_failed{name:missing}"].value, 1);
    assert.equal(m.http_req_failed.passes, missing, "the parent metric counts every request");
  });

  it("refuses a tag no request sets and a k6 system tag withstand does not set, naming the part", async () => {
    const undeclared = join(dir, "undeclared.yaml");
    writeFileSync(undeclared, doc(`    http_req_duration{team:checkout}: ["p(95)<25"]`));
    const a = await runCli(["validate", undeclared], { env });
    assert.equal(a.code, 2);
    assert.match(
      a.stderr,
      /undeclared\.yaml:\d+:\d+: .*tag team in http_req_duration\{team:checkout\}: no request sets it/,
    );
    const system = await runCli(
      [
        "load",
        `${url}/api`,
        "--duration",
        "1s",
        "--threshold",
        "http_req_duration{scenario:default}=p(95)<25",
      ],
      { env },
    );
    assert.equal(system.code, 2);
    assert.match(system.stderr, /tag scenario .* is a k6 system tag withstand does not set/);
    const untaggable = await runCli(
      ["load", `${url}/api`, "--duration", "1s", "--threshold", "dropped_iterations{status:200}=count<1"],
      { env },
    );
    assert.equal(untaggable.code, 2);
    assert.match(untaggable.stderr, /dropped_iterations has no request tags/);
  });
});
