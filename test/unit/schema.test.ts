import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { parseAllDocuments } from "yaml";
import { checkDocument, jsonSchemaOf, SCHEMA_KINDS } from "../../src/documents/kinds.js";
import { runCli } from "../helpers/cli.js";
import { fixture, ROOT } from "../helpers/paths.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map(SCHEMA_KINDS.map(({ name }) => [name, ajv.compile(jsonSchemaOf(name) ?? {})]));

/** Which schema a document takes, as an editor's modeline would name it. */
function schemaNameOf(value: Record<string, unknown>): string {
  if (typeof value.apiVersion === "string" && value.apiVersion.startsWith("openslo/")) return "OpenSLO";
  if (value.apiVersion === "withstand/v1") return String(value.kind);
  if (typeof value.apiVersion === "string" && value.apiVersion.startsWith("argoproj.io/"))
    return "AnalysisTemplate";
  return "chaostoolkit";
}

function ajvErrors(text: string): string[] {
  const errors: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const top = doc.toJS() as unknown;
    for (const value of Array.isArray(top) ? top : [top]) {
      const validate = validators.get(schemaNameOf(value as Record<string, unknown>));
      assert.ok(validate, "a schema for every document kind");
      if (!validate(value))
        errors.push(
          ...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`),
        );
    }
  }
  return errors;
}

const valid = [
  ...readdirSync(join(ROOT, "examples", "demo")).map((f) => join(ROOT, "examples", "demo", f)),
  join(ROOT, "examples", "checks", "nightly-backup.heartbeat.yaml"),
  fixture("ctk", "unresponsive-service.json"),
  fixture("slo", "orders.yaml"),
  fixture("slo", "withstand-windows.yaml"),
  fixture("slo", "alerting-kinds.yaml"),
];

describe("withstand schema: JSON Schema generated from the document schemas", () => {
  for (const file of valid) {
    it(`${file.slice(ROOT.length)} is valid for withstand validate and for ajv`, () => {
      const text = readFileSync(file, "utf8");
      const checked = checkDocument(file, text);
      assert.ok(checked.valid, JSON.stringify(checked.diagnostics));
      assert.deepEqual(ajvErrors(text), []);
    });
  }

  const misspelt: [string, string, string][] = [
    [
      "a LoadTest spec key",
      "apiVersion: withstand/v1\nkind: LoadTest\nmetadata: {name: t}\nspec:\n  url: http://127.0.0.1:1/\n  rate: 10/s\n  duration: 1s\n  treshold: {}\n",
      "treshold",
    ],
    [
      "a Rollout analysis key",
      "apiVersion: withstand/v1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  listen: 127.0.0.1:0\n  stable: {url: http://127.0.0.1:1}\n  canary: {url: http://127.0.0.1:2}\n  steps:\n    - analysis: {intervall: 1s, judge: {metrics: [{name: e, source: router, measure: error-rate}]}}\n",
      "intervall",
    ],
    [
      "a fault key of an experiment",
      "apiVersion: withstand/v1\nkind: Experiment\nmetadata: {name: e}\nspec:\n  method:\n    - {type: action, name: f, fault: {kind: process-pause, select: {command: x}, duraton: 1s}}\n",
      "duraton",
    ],
    [
      "an experiment's hypothesis key",
      "apiVersion: withstand/v1\nkind: Experiment\nmetadata: {name: e}\nspec:\n  steady-state-hypotesis: {title: t, probes: []}\n  method: []\n",
      "steady-state-hypotesis",
    ],
    [
      "a Synthetic step key",
      'apiVersion: withstand/v1\nkind: Synthetic\nmetadata: {name: s}\nspec:\n  steps:\n    - name: a\n      request: {url: "http://127.0.0.1:1/"}\n      alwaysrun: true\n',
      "alwaysrun",
    ],
    [
      "a Heartbeat spec key",
      "apiVersion: withstand/v1\nkind: Heartbeat\nmetadata: {name: b}\nspec: {period: 1m, grac: 1h}\n",
      "grac",
    ],
    [
      "an AnalysisTemplate metric key",
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics:\n    - name: m\n      sucessCondition: "result[0] > 1"\n      provider: {prometheus: {address: "http://127.0.0.1:9090", query: up}}\n',
      "sucessCondition",
    ],
    [
      "an OpenSLO SLO's timeWindow",
      "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec:\n  indicatorRef: i\n  timeWindw: [{duration: 28d, isRolling: true}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n",
      "timeWindw",
    ],
    [
      "an OpenSLO SLO's budgetingMethod",
      "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec:\n  indicatorRef: i\n  budgetingMethd: Occurrences\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n",
      "budgetingMethd",
    ],
    [
      "an OpenSLO Service's spec (oslo's markdown)",
      "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: s}\nspec: {markdown: x}\n",
      "markdown",
    ],
  ];
  for (const [what, text, key] of misspelt) {
    it(`a misspelt ${what} is refused by both, naming the key`, () => {
      const checked = checkDocument("x.yaml", text);
      assert.equal(checked.valid, false);
      assert.ok(
        checked.diagnostics.some((d) => d.path.endsWith(key) && d.severity === "error"),
        JSON.stringify(checked.diagnostics),
      );
      const errors = ajvErrors(text);
      assert.ok(
        errors.some((e) => e.includes(`"additionalProperty":"${key}"`)),
        errors.join("\n"),
      );
    });
  }

  it("every registered fault kind is an alternative with its own keys", () => {
    const schema = JSON.stringify(jsonSchemaOf("Experiment"));
    for (const kind of ["process-kill", "process-pause", "network", "http-fault"])
      assert.ok(schema.includes(`"const":"${kind}"`), kind);
  });

  it("the CLI lists the kinds, prints one, and refuses an unknown one with exit 2", async () => {
    const list = await runCli(["schema"]);
    assert.equal(list.code, 0);
    for (const { name: k } of SCHEMA_KINDS) assert.match(list.stdout, new RegExp(`^${k}\\b`, "m"));
    const one = await runCli(["schema", "rollout"]);
    assert.equal(one.code, 0);
    assert.equal((JSON.parse(one.stdout) as { title: string }).title, "withstand Rollout");
    const bad = await runCli(["schema", "Rolout"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /did you mean Rollout/);
  });

  const notDurations: [string, string, string][] = [
    [
      "a LoadTest duration",
      "apiVersion: withstand/v1\nkind: LoadTest\nmetadata: {name: t}\nspec:\n  url: http://127.0.0.1:1/\n  rate: 10/s\n  duration: 10 seconds\n",
      "/spec/duration",
    ],
    [
      "a Rollout pause",
      "apiVersion: withstand/v1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  listen: 127.0.0.1:0\n  stable: {url: http://127.0.0.1:1}\n  canary: {url: http://127.0.0.1:2}\n  steps:\n    - setWeight: 10\n    - pause: {duration: soon}\n",
      "/spec/steps/1",
    ],
    [
      "an AnalysisTemplate interval",
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics:\n    - name: m\n      interval: 5 min\n      provider: {prometheus: {address: "http://127.0.0.1:9090", query: up}}\n',
      "/spec/metrics/0/interval",
    ],
    [
      "a Synthetic schedule",
      'apiVersion: withstand/v1\nkind: Synthetic\nmetadata: {name: s}\nspec:\n  every: often\n  steps:\n    - name: a\n      request: {url: "http://127.0.0.1:1/"}\n',
      "/spec/every",
    ],
    [
      "a Heartbeat period",
      "apiVersion: withstand/v1\nkind: Heartbeat\nmetadata: {name: b}\nspec: {period: daily}\n",
      "/spec/period",
    ],
    [
      "an OpenSLO time window",
      "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec:\n  indicatorRef: i\n  timeWindow: [{duration: 30 days, isRolling: true}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n",
      "/spec/timeWindow/0/duration",
    ],
  ];
  for (const [what, text, at] of notDurations) {
    it(`${what} that is not a duration is refused by both`, () => {
      const checked = checkDocument("x.yaml", text);
      assert.equal(checked.valid, false, JSON.stringify(checked.diagnostics));
      const errors = ajvErrors(text);
      assert.ok(
        errors.some((e) => e.startsWith(at)),
        errors.join("\n"),
      );
    });
  }

  it("a duration exports as a string pattern or a number, never as {}", () => {
    const schema = jsonSchemaOf("LoadTest") as {
      properties: { spec: { properties: Record<string, unknown> } };
    };
    const duration = schema.properties.spec.properties.duration as { anyOf: Record<string, unknown>[] };
    assert.deepEqual(
      duration.anyOf.map((a) => a.type),
      ["string", "number"],
    );
    assert.ok(typeof duration.anyOf[0]?.pattern === "string");
    for (const name of ["LoadTest", "Rollout", "AnalysisTemplate", "Synthetic", "Heartbeat", "OpenSLO"]) {
      const text = JSON.stringify(jsonSchemaOf(name));
      // A field whose schema is {} accepts anything: only free-form maps and JSON bodies may.
      const empty = [...text.matchAll(/"([\w-]+)":\{\}/g)].map((m) => m[1]);
      assert.deepEqual(
        empty.filter((k) => !["additionalProperties", "items", "json", "default"].includes(k ?? "")),
        [],
        name,
      );
    }
  });

  it("a LoadTest's problems are all reported at once, each at its place", () => {
    const text = [
      "apiVersion: withstand/v1",
      "kind: LoadTest",
      "metadata: {name: t}",
      "spec:",
      "  url: ftp://127.0.0.1:1/",
      "  rate: fast",
      "  duration: 10 seconds",
      "  workers: 100",
      "  conections: 3",
      "  thresholds:",
      '    http_req_duration: ["p(99)<<300"]',
      "",
    ].join("\n");
    const checked = checkDocument("l.yaml", text);
    assert.equal(checked.valid, false);
    const lines = checked.diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`).sort();
    assert.deepEqual(lines, [
      '11:25 spec.thresholds.http_req_duration[0]: invalid threshold "p(99)<<300" (expected AGGREGATION OPERATOR NUMBER, e.g. "p(99)<300" or "rate<0.01")',
      '5:8 spec.url: got the string "ftp://127.0.0.1:1/" (expected an http:// or https:// URL)',
      '6:9 spec.rate: got the string "fast" (expected a rate such as 1000/s, 60/m or 50)',
      '7:13 spec.duration: got the string "10 seconds" (expected seconds or a duration such as "500ms", "10s", "1m30s")',
      "8:12 spec.workers: got number 100 (expected <=64)",
      "9:3 spec.conections: unknown key (did you mean connections?)",
    ]);
  });
});

describe("the Gossfile top level", () => {
  it("lists every resource type check reads, and refuses a misspelt one (ajv)", async () => {
    const { CHECK_KINDS, UNSUPPORTED_TYPES } = await import("../../src/checks/kinds.js");
    const { GOSS_TYPES } = await import("../../src/documents/gossfile-schema.js");
    assert.deepEqual(
      [...GOSS_TYPES].sort(),
      [...CHECK_KINDS.keys(), ...Object.keys(UNSUPPORTED_TYPES), "gossfile"].sort(),
    );
    const validate = new Ajv({ allErrors: true, strict: false }).compile(jsonSchemaOf("Gossfile") ?? {});
    const example = parseAllDocuments(
      readFileSync(join(ROOT, "examples", "checks", "demo-system.goss.yaml"), "utf8"),
    )[0]?.toJS() as unknown;
    assert.ok(validate(example), JSON.stringify(validate.errors));
    assert.equal(validate({ comand: { "echo hi": { "exit-status": 0 } } }), false);
    assert.ok(validate.errors?.some((e) => JSON.stringify(e.params).includes("comand")));
  });
});
