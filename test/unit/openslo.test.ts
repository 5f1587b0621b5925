import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { burnRatePairs } from "../../src/core/slo.js";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { parseShorthand, readOpenSlo } from "../../src/documents/openslo.js";
import { parseSource } from "../../src/documents/source.js";
import { generateRules, windowQuery } from "../../src/slo/rules.js";
import { fixture } from "../helpers/paths.js";

const read = (text: string, file = "s.yaml") => {
  const parsed = parseSource(file, text);
  return readOpenSlo(parsed.docs);
};

const slo = (window: string, target: string, extra = "") => `apiVersion: openslo/v1
kind: SLO
metadata: {name: s}
spec:
  service: svc
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: prometheus, spec: {query: errors_total}}}
        total: {metricSource: {type: prometheus, spec: {query: requests_total}}}
  timeWindow: [{duration: ${window}, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{${target}}]
${extra}`;

describe("OpenSLO v1", () => {
  it("reads multi-document files with refs to SLIs and DataSources, and inline alert policies", () => {
    const r = read(readFileSync(fixture("slo", "orders.yaml"), "utf8"));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.slos.map((s) => [s.name, s.objectives[0]?.target, s.periodMs / 86_400_000]),
      [
        ["orders-availability", 0.999, 30],
        ["orders-latency", 0.99, 28],
      ],
    );
    assert.equal(r.slos[0]?.indicator.ratio?.bad?.url, "http://127.0.0.1:9090");
    assert.equal(r.slos[1]?.conditions[0]?.threshold, 10);
  });

  it("reads duration shorthand with m as minutes and M as a month, and warns about a 1m window", () => {
    assert.equal(parseShorthand("1m"), 60_000);
    assert.equal(parseShorthand("1M"), 30 * 86_400_000);
    assert.equal(parseShorthand("1Q"), 90 * 86_400_000);
    const r = read(slo("1m", "target: 0.99"));
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      "s.yaml:13:27: warning: spec.timeWindow[0].duration: 1m is one minute in OpenSLO (did you mean 1M, a month?)",
    ]);
  });

  it("reports bad targets and unknown refs at their positions", () => {
    const bad = read(slo("30d", "target: 1.5"));
    assert.deepEqual(bad.diagnostics.map(formatDiagnostic), [
      "s.yaml:15:25: spec.objectives[0].target: got 1.5 (expected target in [0, 1) or targetPercent in [0, 100))",
    ]);
    const ref = read(
      "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec:\n  indicatorRef: missing\n  timeWindow: [{duration: 30d}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.9}]\n",
    );
    assert.match(
      ref.diagnostics.map(formatDiagnostic).join("\n"),
      /s\.yaml:5:17: spec\.indicatorRef: no SLI named "missing" in these files/,
    );
    const v1alpha = read("apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: s}\nspec: {}\n");
    assert.match(
      v1alpha.diagnostics.map(formatDiagnostic)[0] ?? "",
      /expected openslo\/v1; withstand reads v1, which Sloth does not/,
    );
  });

  it("wraps bare counters in sum(rate()) and fills {{.window}}", () => {
    assert.equal(
      windowQuery({ type: "prometheus", query: 'x_total{a="b"}' }, "5m", true),
      'sum(rate(x_total{a="b"}[5m]))',
    );
    assert.equal(
      windowQuery({ type: "prometheus", query: "sum(rate(x[{{.window}}]))" }, "1h", true),
      "sum(rate(x[1h]))",
    );
  });

  it("scales alert windows with the period and warns about alerts that can never fire", () => {
    const week = burnRatePairs(7 * 86_400_000);
    assert.ok(Math.abs((week[0]?.factor ?? 0) - 14.4) < 1e-9);
    const r = read(slo("30d", "target: 0.9"));
    const first = r.slos[0];
    assert.ok(first);
    const { warnings } = generateRules(first);
    assert.match(
      warnings[0] ?? "",
      /the page alert at 14\.4x over 1h can never fire at 90%: a full 1h outage uses only 0\.1% of the budget/,
    );
  });
});

describe("every OpenSLO v1 kind, in every layout OpenSLO's own examples use", () => {
  it("validates a file without an SLO (Service, AlertPolicy, AlertCondition, AlertNotificationTarget) and says what it read", async () => {
    const { checkDocument } = await import("../../src/documents/kinds.js");
    const r = checkDocument("a.yaml", readFileSync(fixture("slo", "alerting-kinds.yaml"), "utf8"));
    assert.equal(r.valid, true, r.diagnostics.map(formatDiagnostic).join("\n"));
    assert.equal(
      r.summary,
      "valid OpenSLO v1 (1 Service; 1 AlertPolicy; 1 AlertCondition; 1 AlertNotificationTarget)",
    );
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  });

  it("reads a top-level YAML list of documents, with positions inside the list", () => {
    const text = `- apiVersion: openslo/v1
  kind: Service
  metadata: {name: a}
  spec: {description: x}
- apiVersion: openslo/v1
  kind: Servise
  metadata: {name: b}
  spec: {}
`;
    const r = read(text, "l.yaml");
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      'l.yaml:6:9: [1].kind: got "Servise" (expected one of SLO, SLI, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget, Service)',
    ]);
    const ok = read(text.replace("Servise", "Service"), "l.yaml");
    assert.deepEqual(ok.kinds, { Service: 2 });
  });
});

describe("OpenSLO validation is about OpenSLO, not PromQL", () => {
  it("a CloudWatch thresholdMetric with no timeWindow is valid; rules then name what they need", () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: {name: cloudwatch-latency}
spec:
  service: web
  indicator:
    metadata: {name: latency}
    spec:
      thresholdMetric:
        metricSource:
          type: CloudWatch
          spec: {region: us-east-1, namespace: AWS/ApplicationELB, metricName: TargetResponseTime, stat: p99}
  budgetingMethod: Occurrences
  objectives: [{displayName: fast, op: lt, value: 0.5, target: 0.99}]
`;
    const r = read(text, "cw.yaml");
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      "cw.yaml:5:3: warning: spec: no timeWindow: withstand judges this SLO over a rolling 28d window (set spec.timeWindow to choose)",
    ]);
    assert.equal(r.slos[0]?.indicator.threshold?.type, "cloudwatch");
  });

  it("reads a DataSource's connectionDetails as a map or a list", () => {
    for (const details of [
      '{url: "http://127.0.0.1:9090"}',
      '[{url: "http://127.0.0.1:9090"}]',
      '[{name: url, value: "http://127.0.0.1:9090"}]',
    ]) {
      const text = `apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: prometheus, connectionDetails: ${details}}
---
${slo("28d", "target: 0.99").replaceAll("type: prometheus", "metricSourceRef: prom")}`;
      const r = read(text);
      const source = r.slos[0]?.indicator.ratio?.total;
      assert.equal(
        source?.url,
        "http://127.0.0.1:9090",
        `${details}: ${r.diagnostics.map(formatDiagnostic).join("; ")}`,
      );
    }
  });

  it("names a composite SLO in the error instead of reading it wrongly", () => {
    const text = slo("28d", "target: 0.99, compositeWeight: 2");
    assert.match(
      read(text).diagnostics.map(formatDiagnostic).join("\n"),
      /compositeWeight: a composite SLO .* is not supported by withstand/,
    );
  });
});

describe("slo rules never write alerts that mean nothing", () => {
  const q = (query: string, counter = true) => windowQuery({ type: "prometheus", query }, "28d", counter);
  it("measures every query over each window: bare selectors, one range rewritten, gauges averaged", () => {
    assert.equal(
      q('sum(rate(http_requests_total{code=~"5.."}[5m]))'),
      'sum(rate(http_requests_total{code=~"5.."}[28d]))',
    );
    assert.equal(q("sum by (job) (increase(x_total[1h]))"), "sum by (job) (increase(x_total[28d]))");
    assert.equal(q('up{job="a"}', false), 'avg_over_time(up{job="a"}[28d])');
  });

  it("refuses what it cannot rewrite safely, instead of the same expression for every window", () => {
    assert.throws(
      () => q('sum(http_requests_total{code="500"})'),
      /has no range, so it cannot be measured over each window/,
    );
    assert.throws(() => q("sum(rate(a[5m])) / sum(rate(b[5m]))"), /has 2 ranges/);
    const text = slo("28d", "target: 0.99").replace("query: errors_total", "query: 'sum(errors_total)'");
    const s = read(text).slos[0];
    assert.ok(s);
    assert.throws(
      () => generateRules(s),
      /^RulesError: s\.yaml:1:1: SLO s: query "sum\(errors_total\)" has no range/,
    );
  });

  it("every objective gets its own rules, the 28-day rule over 28 days", () => {
    const text = slo("28d", "displayName: fast, target: 0.99}, {displayName: very fast, target: 0.999");
    const s = read(text).slos[0];
    assert.ok(s);
    assert.equal(s.objectives.length, 2);
    const { groups } = generateRules(s);
    const ids = new Set(
      groups
        .flatMap((g) => g.rules.map((r) => (r.labels as { sloth_id?: string } | undefined)?.sloth_id))
        .filter(Boolean),
    );
    assert.deepEqual([...ids], ["svc-s-fast", "svc-s-very-fast"]);
    const period = groups[0]?.rules.find((r) => r.record === "slo:sli_error:ratio_rate28d");
    assert.match(String(period?.expr), /errors_total\[28d\]/);
    const targets = groups.flatMap((g) =>
      g.rules.filter((r) => r.record === "slo:objective:ratio").map((r) => r.expr),
    );
    assert.deepEqual(targets, ["vector(0.99)", "vector(0.999)"]);
  });
});

describe("validate is as strict as oslo where oslo is strict, and no stricter", () => {
  const check = async (text: string) => {
    const { checkDocument } = await import("../../src/documents/kinds.js");
    return checkDocument("o.yaml", text);
  };
  const errors = (r: { diagnostics: { severity: string }[] }) =>
    (r.diagnostics as Parameters<typeof formatDiagnostic>[0][])
      .filter((d) => d.severity === "error")
      .map(formatDiagnostic);

  it("an unknown key (spec.markdown of a Service) is an error at the key", async () => {
    const r = await check(
      "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: my-service}\nspec:\n  markdown: a great service\n",
    );
    assert.equal(r.valid, false);
    assert.deepEqual(errors(r), ["o.yaml:5:3: spec.markdown: unknown key (expected one of description)"]);
  });

  it("a misspelt timeWindow or budgetingMethod is an error with a did-you-mean", async () => {
    const r = await check(
      slo("28d", "target: 0.99")
        .replace("timeWindow:", "timeWindw:")
        .replace("budgetingMethod:", "budgetingMethd:"),
    );
    assert.equal(r.valid, false);
    const text = errors(r).join("\n");
    assert.match(text, /o\.yaml:13:3: spec\.timeWindw: unknown key \(did you mean timeWindow\?\)/);
    assert.match(text, /spec\.budgetingMethd: unknown key \(did you mean budgetingMethod\?\)/);
  });

  it("op (or value) on an objective of a ratioMetric SLI is an error; on a thresholdMetric it is needed", async () => {
    const r = await check(slo("28d", "op: gt, target: 0.99"));
    assert.deepEqual(errors(r), [
      "o.yaml:15:17: spec.objectives[0].op: is not allowed on an objective of a ratioMetric SLI (op and value are for a thresholdMetric; remove it)",
    ]);
  });

  it("an RFC 1123 name is required, as OpenSLO and oslo ask", async () => {
    const r = await check(
      "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: example service}\nspec: {description: x}\n",
    );
    assert.match(
      errors(r).join("\n"),
      /o\.yaml:3:18: metadata\.name: got the string "example service" \(expected an RFC 1123 name/,
    );
  });

  it("a calendar window needs a real time zone and a start time; a rolling one has no calendar", async () => {
    const calendar = (zone: string, rolling: boolean) =>
      slo("1w", "target: 0.99").replace(
        "[{duration: 1w, isRolling: true}]",
        `[{duration: 1w, isRolling: ${rolling}, calendar: {startTime: "2022-01-01 12:00:00", timeZone: ${zone}}}]`,
      );
    assert.equal((await check(calendar("America/New_York", false))).valid, true);
    assert.match(
      errors(await check(calendar("Mars/Olympus", false))).join("\n"),
      /timeZone: got "Mars\/Olympus"/,
    );
    assert.match(
      errors(await check(calendar("UTC", true))).join("\n"),
      /calendar: cannot be set when isRolling is true/,
    );
  });

  it("a metricSourceRef to a DataSource not among the files is a warning in validate, an error where it computes", async () => {
    const text = slo("28d", "target: 0.99").replaceAll("type: prometheus", "metricSourceRef: elsewhere");
    const r = await check(text);
    assert.equal(r.valid, true, r.diagnostics.map(formatDiagnostic).join("\n"));
    assert.match(
      r.diagnostics.map(formatDiagnostic).join("\n"),
      /o\.yaml:11:47: warning: spec\.indicator\.spec\.ratioMetric\.bad\.metricSource\.metricSourceRef: no DataSource named "elsewhere" among the files given/,
    );
    const computed = read(text, "o.yaml");
    assert.equal(computed.slos.length, 0);
    assert.match(
      computed.diagnostics
        .filter((d) => d.severity === "error")
        .map(formatDiagnostic)
        .join("\n"),
      /o\.yaml:11:47: .*metricSourceRef: no DataSource named "elsewhere" among the files given .*give its file too/,
    );
  });

  it("validate reads the files given together: a DataSource in another file resolves the ref", async () => {
    const { checkDocument } = await import("../../src/documents/kinds.js");
    const ds = parseSource(
      "ds.yaml",
      "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: elsewhere}\nspec: {type: prometheus, connectionDetails: {url: http://127.0.0.1:9090}}\n",
    );
    const text = slo("28d", "target: 0.99").replaceAll("type: prometheus", "metricSourceRef: elsewhere");
    const r = checkDocument("o.yaml", text, { others: ds.docs });
    assert.equal(r.valid, true);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
    assert.equal(r.summary, "valid OpenSLO v1 (1 SLOs: s)");
  });

  it("a Timeslices objective needs timeSliceTarget and timeSliceWindow", async () => {
    const r = await check(slo("28d", "target: 0.99").replace("Occurrences", "Timeslices"));
    const text = errors(r).join("\n");
    assert.match(text, /objectives\[0\]\.timeSliceTarget: is required for Timeslices/);
    assert.match(text, /objectives\[0\]\.timeSliceWindow: is required for Timeslices/);
  });
});
