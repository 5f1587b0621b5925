import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { parseAllDocuments } from "yaml";
import { parseCondition } from "../../src/core/condition.js";
import { resultPhase } from "../../src/core/rollout.js";
import { checkDocument, jsonSchemaOf } from "../../src/documents/kinds.js";
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
    assert.ok(a?.provider?.type === "prometheus");
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

  it("a pact provider verifies the canary against pacts beside the template, failing on any broken interaction", async () => {
    const pactTemplate = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: contracts}
spec:
  metrics:
  - name: consumer-pacts
    provider:
      pact:
        pacts: [./pacts, https://broker.example/pacts/provider/orders/consumer/web/latest]
        stateChangeUrl: /_pact/state
        headers: [{key: Authorization, value: Bearer x}]
        timeout: 5
  - name: stable-pacts
    successCondition: result.failed <= 1
    provider:
      pact: {pacts: ./one.json, version: stable}
`;
    const dir = tempFiles({
      "r.yaml": `${pactTemplate}---\n${rolloutWith("      templates: [{templateName: contracts}]")}`,
    });
    const { spec, diagnostics } = await loadRolloutFile(join(dir, "r.yaml"));
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    const step = spec?.steps[1];
    assert.ok(step?.kind === "analysis");
    const [canary, stable] = step.analyses;
    assert.deepEqual(canary?.provider, {
      type: "pact",
      pacts: [join(dir, "pacts"), "https://broker.example/pacts/provider/orders/consumer/web/latest"],
      version: "canary",
      stateChangeUrl: "/_pact/state",
      stateChangeTeardown: false,
      headers: { Authorization: "Bearer x" },
      timeoutMs: 5000,
    });
    assert.equal(canary?.successCondition, "result.failed == 0", "without a condition, any break fails");
    assert.equal(stable?.successCondition, "result.failed <= 1");
    assert.ok(stable?.provider?.type === "pact" && stable.provider.version === "stable");
    assert.deepEqual(stable.provider.pacts, [join(dir, "one.json")]);
    const broken = { verified: 2, failed: 1, pending: 0, skipped: 0, total: 3 };
    assert.equal(resultPhase({ successCondition: "result.failed == 0" }, broken).phase, "Failed");
    assert.equal(
      resultPhase({ successCondition: "result.failed == 0" }, { ...broken, failed: 0 }).phase,
      "Successful",
    );
  });

  it("a misspelt pact setting or a missing pact list is named at its line", () => {
    const text = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: contracts}
spec:
  metrics:
  - name: consumer-pacts
    provider:
      pact:
        stateChangeURL: /_pact/state
---
${rolloutWith("      templates: [{templateName: contracts}]")}`;
    const checked = checkDocument("r.yaml", text);
    assert.equal(checked.valid, false);
    const typo = checked.diagnostics.find((d) => d.path.endsWith("stateChangeURL"));
    assert.ok(typo, JSON.stringify(checked.diagnostics));
    assert.equal(typo.line, 9);
    assert.match(typo.message, /stateChangeUrl/);
    const missing = checked.diagnostics.find((d) => d.path.endsWith("pact.pacts"));
    assert.ok(missing, JSON.stringify(checked.diagnostics));
    assert.match(
      missing.message,
      /is required \(expected a pact file, a directory of pact files, or a pact's URL\)/,
    );
  });

  it("withstand validate reads a template file alone and a Rollout with its templates", async () => {
    const dir = tempFiles({ "t.yaml": TEMPLATE, "r.yaml": `${TEMPLATE}---\n${rolloutWith(STEP)}` });
    const r = await runCli(["validate", join(dir, "t.yaml"), join(dir, "r.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid Argo AnalysisTemplates \(success-rate\)/);
    assert.match(r.stdout, /valid withstand Rollout "guestbook" .*1 AnalysisTemplate metrics/);
  });
});

describe("validate reads Argo files as Argo's tools do (#26: 15, 16)", () => {
  const errorsOf = (stderr: string) => stderr.split("\n").filter((l) => l !== "" && !l.includes("warning:"));

  it("resolves AnalysisTemplates across all the files given, and takes --template like rollout", async () => {
    const dir = tempFiles({ "t.yaml": TEMPLATE, "r.yaml": rolloutWith(STEP) });
    const alone = await runCli(["validate", join(dir, "r.yaml")]);
    assert.equal(alone.code, 2);
    assert.match(
      alone.stderr,
      /no AnalysisTemplate named success-rate in this file or the other files given/,
    );
    for (const args of [
      [join(dir, "r.yaml"), join(dir, "t.yaml")],
      [join(dir, "r.yaml"), "--template", join(dir, "t.yaml")],
    ]) {
      const r = await runCli(["validate", ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /valid withstand Rollout "guestbook" .*1 AnalysisTemplate metrics/);
    }
  });

  it("reads Argo's template composition (spec.templates), and names a composed template that is missing", async () => {
    const composite = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: all-checks}
spec:
  templates:
  - templateName: success-rate
  - templateName: latency
`;
    const latency = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: latency}
spec:
  metrics:
  - name: p99
    successCondition: result[0] < 0.3
    provider:
      prometheus: {address: "http://127.0.0.1:9090", query: "histogram_quantile(0.99, x)"}
`;
    const step = STEP.replace("success-rate", "all-checks");
    const dir = tempFiles({
      "r.yaml": rolloutWith(step),
      "t.yaml": `${TEMPLATE}---\n${latency}---\n${composite}`,
      "half.yaml": `${TEMPLATE}---\n${composite}`,
    });
    const { spec, diagnostics } = await loadRolloutFile(join(dir, "r.yaml"), [join(dir, "t.yaml")]);
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    const analysis = spec?.steps[1];
    assert.ok(analysis?.kind === "analysis");
    assert.deepEqual(
      analysis.analyses.map((a) => a.name),
      ["success-rate", "p99"],
    );
    const half = await runCli(["validate", join(dir, "half.yaml")]);
    assert.equal(half.code, 2);
    assert.match(
      half.stderr,
      /half\.yaml:\d+:\d+: spec\.templates\[1\]\.templateName: no AnalysisTemplate named latency among the files given \(template all-checks composes it/,
    );
  });

  it("a refused valueFrom is one error, not a second false one about the argument", async () => {
    const secret = TEMPLATE.replace(
      '  - name: prometheus-port\n    value: "9090"',
      "  - name: prometheus-port\n    valueFrom:\n      secretKeyRef: {name: prom, key: port}",
    );
    const dir = tempFiles({ "t.yaml": secret, "r.yaml": `${secret}---\n${rolloutWith(STEP)}` });
    for (const file of ["t.yaml", "r.yaml"]) {
      const r = await runCli(["validate", join(dir, file)]);
      assert.equal(r.code, 2);
      const errors = errorsOf(r.stderr);
      assert.equal(errors.length, 1, r.stderr);
      assert.match(
        errors[0] ?? "",
        /args\[1\]\.valueFrom: is not supported: withstand runs without Kubernetes/,
      );
    }
    const fromPod = rolloutWith(
      `${STEP}\n      - name: prometheus-port\n        valueFrom: {podTemplateHashValue: Latest}`,
    );
    const dir2 = tempFiles({ "r.yaml": `${TEMPLATE.replace('\n    value: "9090"', "")}---\n${fromPod}` });
    const r = await runCli(["validate", join(dir2, "r.yaml")]);
    const errors = errorsOf(r.stderr);
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0] ?? "", /args\[1\]\.valueFrom: is not supported/);
  });

  it("another tool's manifest is named as such, with what to do", async () => {
    const dir = tempFiles({
      "argo.yaml":
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  strategy: {canary: {steps: [{setWeight: 20}]}}\n",
      "deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n",
      "kind.yaml": "apiVersion: withstand/v1\nkind: Rolout\nmetadata: {name: x}\nspec: {}\n",
    });
    const argo = await runCli(["validate", join(dir, "argo.yaml")]);
    assert.equal(argo.code, 2);
    assert.match(
      argo.stderr,
      /argo\.yaml:1:13: apiVersion: argoproj\.io\/v1alpha1, kind: Rollout is an Argo Rollouts Rollout, a Kubernetes resource withstand does not run: write apiVersion: withstand\/v1, kind: Rollout/,
    );
    const run = await runCli(["run", join(dir, "argo.yaml")]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /is an Argo Rollouts Rollout/);
    const deploy = await runCli(["validate", join(dir, "deploy.yaml")]);
    assert.match(
      deploy.stderr,
      /apiVersion: apps\/v1, kind: Deployment is a Kubernetes manifest withstand does not read/,
    );
    const kind = await runCli(["validate", join(dir, "kind.yaml")]);
    assert.match(kind.stderr, /kind\.yaml:2:7: .*unknown kind "Rolout" \(did you mean Rollout\?/);
  });
});

describe("the AnalysisTemplate JSON Schema", () => {
  it("accepts Argo's documented template and the composite form, and refuses a misspelt key", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      jsonSchemaOf("AnalysisTemplate") ?? {},
    );
    const composite =
      "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: all}\nspec:\n  templates: [{templateName: success-rate}]\n";
    for (const text of [TEMPLATE, composite]) {
      const value = parseAllDocuments(text)[0]?.toJS() as unknown;
      assert.ok(validate(value), JSON.stringify(validate.errors));
    }
    const typo = parseAllDocuments(TEMPLATE.replace("failureLimit", "failurLimit"))[0]?.toJS() as unknown;
    assert.equal(validate(typo), false);
    assert.ok(validate.errors?.some((e) => JSON.stringify(e.params).includes("failurLimit")));
  });
});
