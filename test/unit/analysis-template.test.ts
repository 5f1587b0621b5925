import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseCondition } from "../../src/core/condition.js";
import { resultPhase } from "../../src/core/rollout.js";
import { checkDocument } from "../../src/documents/kinds.js";
import { loadRolloutFile } from "../../src/documents/rollout.js";
import { runCli } from "../helpers/cli.js";

const cond = (e: string, env: Record<string, unknown>) => {
  const p = parseCondition(e);
  assert.ok(p.ok, p.ok ? "" : p.error);
  return p.eval(env);
};

describe("Argo conditions over a query's result", () => {
  it("indexes vectors, calls len/isNaN/isInf/default, and does arithmetic", () => {
    const env = { result: [0.97, 0.5] };
    assert.equal(cond("result[0] >= 0.95", env), true);
    assert.equal(cond("result[1] >= 0.95", env), false);
    assert.equal(cond("result[-1] == 0.5", env), true);
    assert.equal(cond("len(result) == 2", env), true);
    assert.equal(cond("result[0] * 100 > 96 && result[1] - 0.5 == 0", env), true);
    assert.equal(cond("isNaN(result[0]) || result[0] < 0", env), false);
    assert.equal(cond("isNaN(x)", { x: Number.NaN }), true);
    assert.equal(cond("isInf(x)", { x: Number.POSITIVE_INFINITY }), true);
    assert.equal(cond("default(missing, 1) == 1", env), true);
    assert.equal(cond("-result[1] < 0", env), true);
    assert.equal(cond("result >= 0.95", { result: 0.97 }), true, "a scalar result");
  });

  it("all/any/none take a # predicate, as Argo's range-query examples do", () => {
    assert.equal(cond("all(result, # < 1000)", { result: [10, 999] }), true);
    assert.equal(cond("all(result, # < 1000)", { result: [10, 1001] }), false);
    assert.equal(cond("any(result, # > 500)", { result: [10, 600] }), true);
    assert.equal(cond("none(result, # > 500)", { result: [10, 600] }), false);
  });

  it("an empty result leaves result[0] unknown: Inconclusive, never Successful", () => {
    assert.equal(cond("result[0] >= 0.95", { result: [] }), undefined);
    assert.equal(resultPhase({ successCondition: "result[0] >= 0.95" }, []).phase, "Inconclusive");
    assert.equal(resultPhase({ successCondition: "result[0] >= 0.95" }, [0.99]).phase, "Successful");
    assert.equal(resultPhase({ successCondition: "result[0] >= 0.95" }, [0.9]).phase, "Failed");
    assert.equal(resultPhase({ failureCondition: "result[0] < 0.9" }, [0.95]).phase, "Successful");
    assert.equal(resultPhase({}, [1]).phase, "Successful", "Argo: no condition is Successful");
  });

  it("names an unsupported function", () => {
    const p = parseCondition("filter(result, # > 1)");
    assert.equal(p.ok, false);
    assert.match(p.ok ? "" : p.error, /unsupported function filter\(\)/);
  });
});

const TEMPLATE = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: service-name
  - name: prometheus-port
    value: "9090"
  metrics:
  - name: success-rate
    interval: 5m
    # NOTE: prometheus queries return results in the form of a vector.
    successCondition: result[0] >= 0.95
    failureLimit: 3
    provider:
      prometheus:
        address: http://127.0.0.1:{{args.prometheus-port}}
        timeout: 40
        headers:
        - key: X-Scope-OrgID
          value: tenant_a
        query: |
          sum(irate(istio_requests_total{destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m])) /
          sum(irate(istio_requests_total{destination_service=~"{{ args.service-name }}"}[5m]))
`;

const rolloutWith = (analysis: string) => `apiVersion: withstand/v1
kind: Rollout
metadata: {name: guestbook}
spec:
  listen: 127.0.0.1:0
  stable: {url: http://127.0.0.1:9001}
  canary: {url: http://127.0.0.1:9002}
  steps:
  - setWeight: 20
  - analysis:
${analysis}
`;

const STEP = `      templates:
      - templateName: success-rate
      args:
      - name: service-name
        value: guestbook-svc.default.svc.cluster.local`;

function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "withstand-argo-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("Argo AnalysisTemplates in a Rollout", () => {
  it("a pasted template in the same file becomes an analysis with args substituted", async () => {
    const dir = tempFiles({ "r.yaml": `${TEMPLATE}---\n${rolloutWith(STEP)}` });
    const { spec, diagnostics } = await loadRolloutFile(join(dir, "r.yaml"));
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    const step = spec?.steps[1];
    assert.ok(step?.kind === "analysis");
    const a = step.analyses[0];
    assert.equal(a?.name, "success-rate");
    assert.equal(a?.intervalMs, 300_000);
    assert.equal(a?.failureLimit, 3);
    assert.equal(a?.successCondition, "result[0] >= 0.95");
    assert.equal(a?.provider?.address, "http://127.0.0.1:9090");
    assert.equal(a?.provider?.timeoutMs, 40_000);
    assert.deepEqual(a?.provider?.headers, { "X-Scope-OrgID": "tenant_a" });
    assert.ok(a?.provider?.query.includes('destination_service=~"guestbook-svc.default.svc.cluster.local"'));
    assert.ok(!a?.provider?.query.includes("{{"), a?.provider?.query);
  });

  it("reads templates from --template files, and background analysis from spec.analysis", async () => {
    const dir = tempFiles({
      "t.yaml": TEMPLATE,
      "r.yaml": rolloutWith(STEP).replace(
        "  steps:",
        `  analysis:\n    startingStep: 1\n${STEP.replaceAll("      ", "    ")}\n  steps:`,
      ),
    });
    const { spec, diagnostics } = await loadRolloutFile(join(dir, "r.yaml"), [join(dir, "t.yaml")]);
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    assert.equal(spec?.background?.startingStep, 1);
    assert.equal(spec?.background?.analyses[0]?.name, "success-rate");
  });

  const mistakes: [string, string, RegExp][] = [
    [
      "an unknown template name",
      STEP.replace("success-rate", "success-rat"),
      /no AnalysisTemplate named success-rat .*did you mean success-rate/,
    ],
    [
      "a missing argument",
      STEP.split("      args:")[0] ?? "",
      /argument service-name of template success-rate has no value/,
    ],
    [
      "a valueFrom argument",
      STEP.replace(
        "value: guestbook-svc.default.svc.cluster.local",
        "valueFrom: {podTemplateHashValue: Latest}",
      ),
      /not supported.*without Kubernetes/,
    ],
  ];
  for (const [what, step, message] of mistakes) {
    it(`${what} is an error at its place`, () => {
      const text = `${TEMPLATE}---\n${rolloutWith(step)}`;
      const checked = checkDocument("r.yaml", text);
      assert.equal(checked.valid, false);
      assert.ok(
        checked.diagnostics.some((d) => d.severity === "error" && message.test(d.message) && d.line > 25),
        JSON.stringify(checked.diagnostics),
      );
    });
  }

  it("an unsupported provider is named at its line in the template", () => {
    const text = `${TEMPLATE.replace(/provider:\n {6}prometheus:/, "provider:\n      datadog:")}---\n${rolloutWith(STEP)}`;
    const checked = checkDocument("r.yaml", text);
    assert.equal(checked.valid, false);
    const d = checked.diagnostics.find((x) => x.message.includes("datadog provider is not supported"));
    assert.ok(d, JSON.stringify(checked.diagnostics));
    assert.equal(d.line, 17);
  });

  it("withstand validate reads a template file alone and a Rollout with its templates", async () => {
    const dir = tempFiles({ "t.yaml": TEMPLATE, "r.yaml": `${TEMPLATE}---\n${rolloutWith(STEP)}` });
    const r = await runCli(["validate", join(dir, "t.yaml"), join(dir, "r.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid Argo AnalysisTemplates \(success-rate\)/);
    assert.match(r.stdout, /valid withstand Rollout "guestbook" .*1 AnalysisTemplate metrics/);
  });
});
