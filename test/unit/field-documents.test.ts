import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analysisPhase } from "../../src/core/rollout.js";
import { parseThreshold } from "../../src/core/threshold.js";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { checkDocument } from "../../src/documents/kinds.js";
import { parseSource } from "../../src/documents/source.js";

/** The error lines a file gets from `validate`, as a user reads them. */
const errorsOf = (file: string, text: string) =>
  checkDocument(file, text)
    .diagnostics.filter((d) => d.severity === "error")
    .map(formatDiagnostic);

const FLAGS = (extra: string) => `{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "new-checkout": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off"${extra}
    }
  }
}
`;

describe("a .json file is strict JSON, as flagd, JSON.parse and the Pact verifiers read it", () => {
  it("a flag file with a trailing comma is a syntax error at its line and column", () => {
    assert.deepEqual(errorsOf("flags.json", FLAGS(",")), [
      "flags.json:7:30: syntax error: invalid JSON: trailing comma before } (JSON allows none)",
    ]);
    // The same text as YAML is what YAML allows: only a .json name holds it to JSON.
    assert.deepEqual(errorsOf("flags.yaml", FLAGS(",")), []);
    assert.deepEqual(errorsOf("flags.json", FLAGS("")), []);
  });

  it("single quotes, unquoted keys and values, comments and a trailing comma in a list are refused", () => {
    const cases: [string, string][] = [
      [`{'flags': {}}`, "flags.json:1:2: syntax error: invalid JSON: single quotes are not JSON"],
      [`{flags: {}}`, 'flags.json:1:2: syntax error: invalid JSON: unexpected "f" (expected a property name'],
      [`{"flags": {"a": {"state": ENABLED}}}`, 'flags.json:1:27: syntax error: invalid JSON: unexpected "E"'],
      [`{"flags": {}}\n// the end\n`, "flags.json:2:1: syntax error: invalid JSON: comments are not JSON"],
      [`{"flags": {}, "x": [1, 2,]}`, "flags.json:1:25: syntax error: invalid JSON: trailing comma before ]"],
    ];
    for (const [text, start] of cases) {
      const errors = errorsOf("flags.json", text);
      assert.equal(errors.length, 1, text);
      assert.ok(errors[0]?.startsWith(start), `${text}: ${errors[0]}`);
    }
  });

  it("valid JSON keeps its positions; a pact read as JSON whatever its name is held to JSON", () => {
    const ok = parseSource("p.json", '{\n  "a": [1,\n    {"b": true}]\n}');
    assert.deepEqual(ok.diagnostics, []);
    assert.deepEqual(ok.docs[0]?.value, { a: [1, { b: true }] });
    const pact = parseSource("https://broker/pacts/latest", '{"consumer": {"name": "c"},}', { json: true });
    assert.match(pact.diagnostics[0]?.message ?? "", /^syntax error: invalid JSON: trailing comma/);
    assert.equal(pact.diagnostics[0]?.col, 27);
    // A byte order mark is no reason to refuse; an empty file stays "empty", not a JSON error.
    assert.deepEqual(parseSource("b.json", '\uFEFF{"a": 1}').diagnostics, []);
    assert.deepEqual(parseSource("e.json", "\n").diagnostics, []);
  });
});

describe("a Sloth spec is named as such, never read as a Gossfile", () => {
  it("version: prometheus/v1 with service and slos says what to write instead", () => {
    const sloth = `version: "prometheus/v1"
service: "myservice"
labels:
  owner: "myteam"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count[{{.window}}]))
    alerting:
      name: MyServiceHighErrorRate
`;
    const r = checkDocument("slos.yml", sloth);
    assert.equal(r.valid, false);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      "slos.yml:1:10: version: prometheus/v1 is a Sloth or Pyrra SLO, not OpenSLO: write the SLO as OpenSLO v1 (apiVersion: openslo/v1, kind: SLO) for withstand slo",
    ]);
  });
});

describe("k6 thresholds must fit the metric's type, as k6 checks at start-up", () => {
  it("refuses an aggregation the metric type has not", () => {
    const no: [Parameters<typeof parseThreshold>[1], string][] = [
      ["http_req_duration", "rate<200"],
      ["http_req_duration", "count<10"],
      ["http_req_failed", "p(95)<0.1"],
      ["http_req_failed", "count<10"],
      ["http_req_failed", "avg<0.1"],
      ["http_reqs", "avg<10"],
      ["http_reqs", "p(99)<10"],
      ["iterations", "max<10"],
      ["dropped_iterations", "value<1"],
    ];
    for (const [metric, expr] of no)
      assert.equal(parseThreshold(expr, metric).ok, false, `${metric} ${expr}`);
    const r = parseThreshold("rate<200", "http_req_duration");
    assert.equal(
      r.ok ? "" : r.error,
      'threshold "rate<200" on http_req_duration: http_req_duration is a trend metric, which has no rate (expected one of avg, min, max, med, p(N), as k6 allows on a trend)',
    );
    const yes: [Parameters<typeof parseThreshold>[1], string][] = [
      ["http_req_duration", "p(99)<300"],
      ["http_req_duration", "avg<200"],
      ["http_req_duration", "med<200"],
      ["http_req_failed", "rate<0.01"],
      ["http_reqs", "count>100"],
      ["http_reqs", "rate>10"],
      ["dropped_iterations", "count<1"],
    ];
    for (const [metric, expr] of yes)
      assert.equal(parseThreshold(expr, metric).ok, true, `${metric} ${expr}`);
  });

  it("a LoadTest with one is invalid at the expression's line and column", () => {
    const text = `apiVersion: withstand/v1
kind: LoadTest
metadata: {name: t}
spec:
  url: http://127.0.0.1:8080/
  rate: 10/s
  duration: 10s
  thresholds:
    http_req_duration: ["p(95)<300", "rate<200"]
    http_req_failed: ["count<10"]
`;
    const errors = errorsOf("load.yaml", text);
    assert.equal(errors.length, 2, errors.join("\n"));
    assert.match(errors[0] ?? "", /^load\.yaml:9:38: .*"rate<200" on http_req_duration: .* trend metric/);
    assert.match(errors[1] ?? "", /^load\.yaml:10:23: .*"count<10" on http_req_failed: .* rate metric/);
  });
});

const template = (metric: string) => `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  metrics:
  - name: success-rate
${metric}
    successCondition: result[0] >= 0.95
    provider:
      prometheus:
        address: http://127.0.0.1:9090
        query: sum(rate(ok[5m]))
`;

describe("Argo AnalysisTemplate limits, as Argo's ValidateMetric checks them", () => {
  it("refuses what Argo's controller refuses, each at its line", () => {
    const cases: [string, RegExp][] = [
      [
        "    count: 1\n    failureLimit: 3",
        /t\.yaml:8:12: .*count \(1\) must be >= failureLimit \+ consecutiveSuccessLimit \(3 \+ 0\)/,
      ],
      ["    count: 3", /t\.yaml:8:12: .*count 3 needs an interval/],
      [
        "    count: 2\n    interval: 1m\n    inconclusiveLimit: 3",
        /count \(2\) must be >= inconclusiveLimit \(3\)/,
      ],
      [
        "    interval: 1m\n    failureLimit: -1",
        /failureLimit -1 disables failures, and consecutiveSuccessLimit is 0/,
      ],
      [
        "    count: 3\n    interval: 1m\n    failureLimit: -1\n    consecutiveSuccessLimit: 4",
        /count \(3\) must be >= consecutiveSuccessLimit \(4\)/,
      ],
      [
        "    interval: 1m\n    consecutiveSuccessLimit: -1",
        /consecutiveSuccessLimit: got -1 \(expected a whole number >= 0\)/,
      ],
    ];
    for (const [metric, want] of cases) {
      const errors = errorsOf("t.yaml", template(metric));
      assert.equal(errors.length, 1, `${metric}\n${errors.join("\n")}`);
      assert.match(errors[0] ?? "", want);
    }
  });

  it("accepts consecutiveSuccessLimit and valid limits", () => {
    for (const metric of [
      "    count: 5\n    interval: 1m\n    failureLimit: 2\n    consecutiveSuccessLimit: 3",
      "    interval: 1m\n    failureLimit: -1\n    consecutiveSuccessLimit: 3",
      "    count: 1\n    failureLimit: 1",
      "    interval: 30s",
    ])
      assert.deepEqual(errorsOf("t.yaml", template(metric)), [], metric);
  });

  it("consecutiveSuccessLimit ends the metric on that many successes in a row, as Argo assesses it", () => {
    const spec = {
      failureLimit: 2,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      count: 5,
      intervalMs: 1000,
      consecutiveSuccessLimit: 3,
    };
    const ph = (s: typeof spec, ...p: ("Successful" | "Failed")[]) =>
      analysisPhase(
        s,
        p.map((phase) => ({ phase })),
      ).phase;
    assert.equal(ph(spec, "Successful", "Successful"), "Running");
    assert.equal(ph(spec, "Failed", "Successful", "Successful", "Successful"), "Successful");
    // The count reached without three in a row: Inconclusive while failureLimit applies, else Failed.
    assert.equal(ph(spec, "Successful", "Successful", "Failed", "Successful", "Successful"), "Inconclusive");
    assert.equal(
      ph({ ...spec, failureLimit: -1 }, "Successful", "Successful", "Failed", "Successful", "Successful"),
      "Failed",
    );
    // No count: it measures until the successes in a row come.
    const open = { ...spec, count: 0, failureLimit: -1 };
    assert.equal(ph(open, "Failed", "Failed", "Failed", "Successful", "Successful"), "Running");
    assert.equal(ph(open, "Failed", "Failed", "Successful", "Successful", "Successful"), "Successful");
  });
});

describe("OpenSLO optional lists may be null, as Go decodes them", () => {
  it("OpenSLO's own occurrences example, with an empty alertPolicies:, is valid", () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-slo
  displayName: Searching time
spec:
  service: web-shop
  indicator:
    metadata:
      name: search-latency
    spec:
      thresholdMetric:
        metricSource:
          type: Any
          spec:
            query: Any
  timeWindow:
    - duration: 2w
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good experience
      op: lt
      value: 500
      target: 0.99
  alertPolicies: # Doesn't matter in this example.
`;
    const r = checkDocument("occurences-slo.yaml", text);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
    assert.equal(r.valid, true);
    // A null timeWindow is as if left out (the 28-day default, said as a warning); a required list is not.
    const noWindow = checkDocument("s.yaml", text.replace(/ {2}timeWindow:\n.*\n.*\n/, "  timeWindow:\n"));
    assert.equal(noWindow.valid, true);
    assert.match(noWindow.diagnostics.map((d) => d.message).join("\n"), /no timeWindow/);
    const noObjectives = errorsOf("s.yaml", text.replace(/ {2}objectives:\n(.*\n){4}/, "  objectives:\n"));
    assert.equal(noObjectives.length, 1, noObjectives.join("\n"));
  });
});
