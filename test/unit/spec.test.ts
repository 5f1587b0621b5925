import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { loadExperimentText } from "../../src/documents/experiment-file.js";
import { fixture } from "../helpers/paths.js";

const lines = (text: string, file = "x.yaml") =>
  loadExperimentText(file, text).diagnostics.map(formatDiagnostic);

describe("experiment specs", () => {
  it("accepts a real Chaos Toolkit experiment with env configuration, secrets and rollbacks", () => {
    const r = loadExperimentText("e.json", readFileSync(fixture("ctk", "unresponsive-service.json"), "utf8"));
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.spec?.flavour, "ctk");
    assert.equal(r.spec?.method.length, 2);
    assert.equal(r.spec?.rollbacks.length, 1);
  });

  it("warns about a misspelt key with a suggestion, at its position", () => {
    const text = readFileSync(fixture("ctk", "typo.yaml"), "utf8");
    assert.deepEqual(lines(text, "typo.yaml"), [
      "typo.yaml:3:1: warning: steady - state - hypothesis: unknown key, ignored (did you mean steady-state-hypothesis?)",
    ]);
  });

  it("collects every error instead of stopping at the first", () => {
    const text = readFileSync(fixture("ctk", "bad.yaml"), "utf8");
    assert.deepEqual(lines(text, "bad.yaml"), [
      "bad.yaml:6:7: steady-state-hypothesis.probes[0].tolerance: is required on a steady-state-hypothesis probe (expected a literal, a list, or {type: range|regex|jsonpath|probe|load|anomaly})",
      'bad.yaml:12:22: method[0].provider.type: activity "python-thing" uses a python provider, which withstand cannot run (expected type http, process, goss, synthetic, health or pact; run the Python code as a process provider, e.g. {type: process, path: python3, arguments: ["-c", "..."]})',
      'bad.yaml:13:11: method[1].type: got "acton" (expected "probe" or "action")',
      "bad.yaml:15:45: warning: method[1].provider.timout: unknown key, ignored (did you mean timeout?)",
      "bad.yaml:18:48: method[2].fault.select.port: got 99999 (expected a TCP port 1-65535)",
      "bad.yaml:18:12: method[2].fault.value: is required (expected a percentage 0-100)",
    ]);
  });

  it("reads native documents and rejects other kinds", () => {
    const native = `apiVersion: withstand/v1
kind: Experiment
metadata: {name: n}
spec:
  method:
    - type: action
      name: pause
      fault: {kind: process-pause, select: {command: "/orders/"}, mode: all, duration: 2s}
`;
    const r = loadExperimentText("n.yaml", native);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.spec?.flavour, "native");
    assert.equal(r.spec?.title, "n");
    assert.deepEqual(lines("apiVersion: withstand/v1\nkind: Rollout\nspec: {}\n"), [
      'x.yaml:2:7: kind: got "Rollout" (expected Experiment for withstand run; a Rollout runs with `withstand rollout FILE`)',
    ]);
  });

  it("names a python control and syntax errors precisely", () => {
    const doc = {
      title: "t",
      description: "d",
      method: [],
      controls: [{ name: "c", provider: { type: "python", module: "m" } }],
    };
    assert.match(
      lines(JSON.stringify(doc), "c.json")[0] ?? "",
      /^c\.json:1:\d+: controls\[0\]\.provider\.type: control "c" is a python control/,
    );
    assert.match(lines("title: [unclosed\n")[0] ?? "", /^x\.yaml:\d+:\d+: syntax error: /);
    assert.deepEqual(lines(""), ["x.yaml:1:1: empty document (expected an experiment)"]);
  });

  it("resolves refs to earlier activities and rejects unknown ones", () => {
    const doc = {
      title: "t",
      description: "d",
      "steady-state-hypothesis": {
        title: "h",
        probes: [{ type: "probe", name: "up", tolerance: 0, provider: { type: "process", path: "true" } }],
      },
      method: [{ ref: "up" }, { ref: "missing" }],
    };
    assert.deepEqual(lines(JSON.stringify(doc, null, 1), "r.json"), [
      'r.json:23:11: method[1].ref: no activity named "missing" is defined before this one (expected the name of an earlier activity)',
    ]);
  });
});

describe("Chaos Toolkit references", () => {
  const hypothesis = {
    title: "h",
    probes: [{ type: "probe", name: "app-up", tolerance: 0, provider: { type: "process", path: "true" } }],
  };
  it("reads a reference that also names its type, as chaoslib does with any mapping that has ref", () => {
    const doc = {
      title: "t",
      description: "d",
      "steady-state-hypothesis": hypothesis,
      method: [{ type: "probe", ref: "app-up" }],
      rollbacks: [{ type: "action", ref: "app-up" }],
    };
    const r = loadExperimentText("r.json", JSON.stringify(doc, null, 1));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.spec?.method.map((a) => a.raw),
      [hypothesis.probes[0]],
    );
    assert.equal(r.spec?.rollbacks.length, 1);
  });

  it("says which keys of a reference are not read: a warning in Chaos Toolkit files, an error in native ones", () => {
    const ctk = {
      title: "t",
      description: "d",
      "steady-state-hypothesis": hypothesis,
      method: [{ ref: "app-up", name: "again" }],
    };
    assert.deepEqual(lines(JSON.stringify(ctk), "c.json"), [
      'c.json:1:200: warning: method[0].name: is not read on a reference (the activity named "app-up" runs as defined), ignored',
    ]);
    const native = `apiVersion: withstand/v1
kind: Experiment
metadata: {name: n}
spec:
  steady-state-hypothesis: {title: h, probes: [{type: probe, name: app-up, tolerance: 0, provider: {type: process, path: "true"}}]}
  method:
    - {ref: app-up, pauses: {after: 1}}
    - {ref: ""}
`;
    assert.deepEqual(lines(native, "n.yaml"), [
      'n.yaml:7:21: spec.method[0].pauses: is not read on a reference (the activity named "app-up" runs as defined); expected only ref',
      'n.yaml:8:13: spec.method[1].ref: got "" (expected the name of an earlier activity)',
    ]);
  });
});

describe("spec parser robustness (property)", () => {
  const valid = JSON.parse(readFileSync(fixture("ctk", "unresponsive-service.json"), "utf8")) as unknown;

  function mutate(value: unknown, path: number[], replacement: unknown): unknown {
    if (path.length === 0) return replacement;
    const [head = 0, ...rest] = path;
    if (Array.isArray(value) && value.length > 0) {
      const copy = [...value];
      const i = head % copy.length;
      copy[i] = mutate(copy[i], rest, replacement);
      return copy;
    }
    if (value && typeof value === "object") {
      const keys = Object.keys(value);
      if (keys.length === 0) return replacement;
      const key = keys[head % keys.length] ?? "";
      return {
        ...(value as Record<string, unknown>),
        [key]: mutate((value as Record<string, unknown>)[key], rest, replacement),
      };
    }
    return replacement;
  }

  it("never throws on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => void loadExperimentText("p.json", JSON.stringify(v))),
      { numRuns: 300 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => void loadExperimentText("p.yaml", t)),
      { numRuns: 300 },
    );
  });

  it("turns every mutation of a valid experiment into a spec or diagnostics, in YAML and JSON", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.jsonValue(),
        fc.boolean(),
        (path, replacement, asYaml) => {
          const doc = mutate(valid, path, replacement);
          const text = asYaml ? stringify(doc) : JSON.stringify(doc);
          const r = loadExperimentText(asYaml ? "m.yaml" : "m.json", text);
          assert.ok(r.spec !== undefined || r.diagnostics.some((d) => d.severity === "error"));
          for (const d of r.diagnostics) assert.match(formatDiagnostic(d), /^m\.(yaml|json):\d+:\d+: /);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("no silent gates in native documents", () => {
  it("an unknown or misspelt key is an error in a native document, a warning in a Chaos Toolkit file", async () => {
    const { checkDocument } = await import("../../src/documents/kinds.js");
    const native = checkDocument(
      "n.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: n}
spec:
  steady-state-hypotesis:
    title: t
    probes: []
  method: []
`,
    );
    assert.equal(native.valid, false);
    assert.deepEqual(native.diagnostics.map(formatDiagnostic), [
      "n.yaml:5:3: spec.steady-state-hypotesis: unknown key (did you mean steady-state-hypothesis?)",
    ]);
    const load = checkDocument(
      "l.yaml",
      `apiVersion: withstand/v1
kind: LoadTest
metadata: {name: l}
spec:
  requests: [{url: "http://127.0.0.1:1/"}]
  rate: 10/s
  duration: 1s
  treshold: {http_req_failed: ["rate<0.01"]}
`,
    );
    assert.equal(load.valid, false);
    assert.deepEqual(load.diagnostics.map(formatDiagnostic), [
      "l.yaml:8:3: spec.treshold: unknown key (did you mean thresholds?)",
    ]);
    const ctk = checkDocument(
      "c.yaml",
      "title: t\ndescription: d\nsteady-state-hypotesis: {title: h, probes: []}\nmethod: []\n",
    );
    assert.equal(ctk.valid, true);
    assert.match(
      ctk.diagnostics.map(formatDiagnostic).join("\n"),
      /warning: steady-state-hypotesis: unknown key, ignored/,
    );
  });
});

describe("controls on activities", () => {
  it("are refused like experiment-level ones, naming the activity (a dropped human gate is worse than not running)", () => {
    const doc = {
      title: "t",
      description: "d",
      method: [
        {
          type: "action",
          name: "restart-db",
          provider: { type: "process", path: "true" },
          controls: [
            {
              name: "ask-first",
              provider: { type: "python", module: "chaossimpleinteract.controls.prompt" },
            },
          ],
        },
      ],
    };
    const errors = lines(JSON.stringify(doc, null, 2), "c.json").filter((l) => !l.includes("warning:"));
    assert.equal(errors.length, 1);
    assert.match(
      errors[0] ?? "",
      /^c\.json:\d+:\d+: method\[0\]\.controls\[0\]: control "ask-first" on activity "restart-db" is a Chaos Toolkit \(Python\) control, which withstand cannot run/,
    );
  });
});
