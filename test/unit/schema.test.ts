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
});
