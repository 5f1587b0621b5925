import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { loadExperimentText } from "../../src/documents/experiment-file.js";
import { checkDocument, jsonSchemaOf } from "../../src/documents/kinds.js";
import { runCli } from "../helpers/cli.js";
import { fixture, isolatedEnv, ROOT } from "../helpers/paths.js";

const { dir, env } = isolatedEnv();

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("durations in experiments have a maximum, checked by validate", () => {
  it("refuses a 30-day DNS delay or pause and a 1e12 ms latency, each at file:line:col with the maximum (exit 2)", async () => {
    const file = write(
      "long.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: too long}
spec:
  proxies: [{name: api, listen: "127.0.0.1:0", upstream: "127.0.0.1:9"}]
  dns: {listen: "127.0.0.1:0", upstream: none}
  method:
    - type: action
      name: slow
      fault: {kind: network, proxy: api, toxic: {type: latency, attributes: {latency: 1e12}}}
    - type: action
      name: slow dns
      fault: {kind: dns, names: "a.*", answer: delay, delay: 30d}
      pauses: {after: 30d}
    - type: action
      name: slow http
      fault: {kind: http-fault, proxy: api, toxic: {type: http_delay, attributes: {latency: 2592000000}}, duration: 1e7}
`,
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      `${file}:10:87: spec.method[0].fault.toxic.attributes.latency: got 1000000000000 (expected the delay in milliseconds, at most 2073600000: 24d is the longest duration withstand waits for)`,
      `${file}:14:23: spec.method[1].pauses.after: got "30d" (expected at most 24d, the longest duration withstand waits for)`,
      `${file}:13:62: spec.method[1].fault.delay: got "30d" (expected at most 24d, the longest duration withstand waits for)`,
      `${file}:17:93: spec.method[2].fault.toxic.attributes.latency: got 2592000000 (expected the delay in milliseconds, at most 2073600000: 24d is the longest duration withstand waits for)`,
      `${file}:17:117: spec.method[2].fault.duration: got 10000000 (expected at most 24d (2073600 seconds), the longest duration withstand waits for)`,
    ]);
  });

  it("accepts the longest duration itself", async () => {
    const file = write(
      "longest.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: longest}
spec:
  dns: {listen: "127.0.0.1:0", upstream: none}
  method:
    - {type: action, name: slow dns, fault: {kind: dns, names: "a.*", answer: delay, delay: 24d}, pauses: {after: 2073600}}
`,
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
  });
});

describe("the JSON Schema of experiments, checked by a real validator (ajv)", () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const native = ajv.compile(jsonSchemaOf("Experiment") ?? {});
  const ctk = ajv.compile(jsonSchemaOf("chaostoolkit") ?? {});
  const errors = (v: ValidateFunction, value: unknown): string[] =>
    v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

  const files = [
    ...readdirSync(join(ROOT, "examples", "demo")).map((f) => join(ROOT, "examples", "demo", f)),
    ...readdirSync(fixture("ctk")).map((f) => fixture("ctk", f)),
  ];
  const experiments = files.filter((f) => {
    const value = parse(readFileSync(f, "utf8")) as Record<string, unknown>;
    return value.apiVersion === undefined || value.kind === "Experiment";
  });

  it("finds the examples and fixtures that are experiments", () => {
    assert.ok(experiments.length >= 6, experiments.join(", "));
  });

  for (const file of experiments) {
    it(`${file.slice(ROOT.length)}: validate and the JSON Schema agree`, () => {
      const text = readFileSync(file, "utf8");
      const value = parse(text) as Record<string, unknown>;
      const schema = value.apiVersion === undefined ? ctk : native;
      const checked = checkDocument(file, text);
      if (checked.valid) assert.deepEqual(errors(schema, value), []);
      else assert.notDeepEqual(errors(schema, value), [], "an invalid file is refused by the schema too");
    });
  }

  const doc = (activity: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    apiVersion: "withstand/v1",
    kind: "Experiment",
    metadata: { name: "e" },
    spec: { method: [{ type: "action", name: "a", ...activity }], ...extra },
  });
  const pause = { fault: { kind: "process-pause", select: { command: "x" } } };

  it("accepts real types: durations as seconds or text, numbers as strings, ${var} placeholders", () => {
    assert.deepEqual(errors(native, doc({ ...pause, pauses: { before: 1.5, after: "1m30s" } })), []);
    assert.deepEqual(
      errors(
        native,
        doc({
          type: "probe",
          provider: { type: "http", url: "http://127.0.0.1/", timeout: [1, "2s"], expected_status: "200" },
        }),
      ),
      [],
    );
    assert.deepEqual(errors(native, doc({ ...pause, pauses: { after: "${wait}" } })), []);
    assert.deepEqual(errors(native, doc(pause, { runtime: { hypothesis: { frequency: "500ms" } } })), []);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ["a misspelt activity key", doc({ ...pause, pauzes: { after: 1 } }), /"additionalProperty":"pauzes"/],
    ["a misspelt pauses key", doc({ ...pause, pauses: { aftre: 1 } }), /"additionalProperty":"aftre"/],
    [
      "a misspelt provider key",
      doc({ type: "probe", provider: { type: "process", path: "true", timout: 1 } }),
      /"additionalProperty":"timout"/,
    ],
    [
      "a misspelt runtime key",
      doc(pause, { runtime: { hypothesis: { frequncy: 1 } } }),
      /"additionalProperty":"frequncy"/,
    ],
    ["a misspelt dns key", doc(pause, { dns: { listne: "127.0.0.1:53" } }), /"additionalProperty":"listne"/],
    [
      "a non-duration pause",
      doc({ ...pause, pauses: { after: "soon" } }),
      /\/pauses\/after must match pattern/,
    ],
    ["a negative pause", doc({ ...pause, pauses: { after: -1 } }), /\/pauses\/after must be >= 0/],
    [
      "a pause over 24 days",
      doc({ ...pause, pauses: { after: 2073601 } }),
      /\/pauses\/after must be <= 2073600/,
    ],
    [
      "a non-duration fault duration",
      doc({ fault: { kind: "process-pause", select: { command: "x" }, duration: "a while" } }),
      /\/fault\/duration must match pattern/,
    ],
    [
      "a non-duration provider timeout",
      doc({ type: "probe", provider: { type: "http", url: "http://127.0.0.1/", timeout: "soon" } }),
      /\/provider\/timeout must match pattern/,
    ],
    [
      "a zero hypothesis frequency",
      doc(pause, { runtime: { hypothesis: { frequency: 0 } } }),
      /frequency must be > 0/,
    ],
    [
      "a number that is not one",
      doc({ type: "probe", provider: { type: "http", url: "http://127.0.0.1/", max_retries: "many" } }),
      /\/provider\/max_retries must match pattern/,
    ],
  ];
  for (const [what, value, pattern] of refused)
    it(`refuses ${what}, as validate does`, () => {
      assert.match(errors(native, value).join("\n"), pattern);
      const checked = checkDocument("x.json", JSON.stringify(value, null, 1));
      assert.equal(checked.valid, false, JSON.stringify(checked.diagnostics));
    });

  it("a Chaos Toolkit file may carry keys Chaos Toolkit ignores, but not a non-duration pause", () => {
    const file = {
      title: "t",
      description: "d",
      version: "1.0.0",
      method: [
        {
          type: "action",
          name: "a",
          provider: { type: "process", path: "true", timout: 1 },
          pauses: { after: 1 },
          x: 1,
        },
      ],
    };
    assert.deepEqual(errors(ctk, file), []);
    const bad = {
      ...file,
      method: [
        { type: "action", name: "a", provider: { type: "process", path: "true" }, pauses: { after: "soon" } },
      ],
    };
    assert.match(errors(ctk, bad).join("\n"), /\/pauses\/after must match pattern/);
  });
});

describe("tolerances are read with their schema", () => {
  const probe = (tolerance: unknown) =>
    JSON.stringify(
      {
        title: "t",
        description: "d",
        "steady-state-hypothesis": {
          title: "h",
          probes: [{ type: "probe", name: "p", tolerance, provider: { type: "process", path: "true" } }],
        },
        method: [],
      },
      null,
      1,
    );
  const lines = (text: string) => loadExperimentText("t.json", text).diagnostics.map(formatDiagnostic);

  it("names each problem of a range, regex or jsonpath tolerance at its position", () => {
    assert.deepEqual(lines(probe({ type: "range", range: [5, 1] })), [
      "t.json:12:15: steady-state-hypothesis.probes[0].tolerance.range: min 5 is above max 1 (expected [min, max])",
    ]);
    assert.deepEqual(lines(probe({ type: "range", range: [0, "lots"] })), [
      't.json:14:7: steady-state-hypothesis.probes[0].tolerance.range[1]: got "lots" (expected a number)',
    ]);
    assert.match(
      lines(probe({ type: "regex", pattern: "(" })).join("\n"),
      /tolerance\.pattern: invalid regular expression: /,
    );
    assert.deepEqual(lines(probe({ type: "jsonpath", path: "$.a", count: "x" })), [
      't.json:13:15: steady-state-hypothesis.probes[0].tolerance.count: got "x" (expected a count)',
    ]);
  });

  it("an unknown tolerance key is a warning in a Chaos Toolkit file (which ignores it)", () => {
    const r = loadExperimentText("t.json", probe({ type: "regex", pattern: "ok", targett: "stdout" }));
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      "t.json:13:6: warning: steady-state-hypothesis.probes[0].tolerance.targett: unknown key, ignored (did you mean target?)",
    ]);
    assert.deepEqual(r.spec?.hypothesis?.probes.length, 1);
  });
});
