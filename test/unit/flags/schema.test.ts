/**
 * flagd flag files as `withstand validate` (and a flag server's reload) reads them: each broken part
 * is reported at the line and column of the offending text, with what was expected.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { checkDocument, jsonSchemaOf } from "../../../src/documents/kinds.js";

/** The 1-based line:col of `needle` in `text` (with `opening`, of the `{` that opens its mapping). */
function at(text: string, needle: string, opening = false): string {
  const found = text.indexOf(needle);
  assert.ok(found >= 0, `${needle} in the fixture`);
  const offset = opening ? text.lastIndexOf("{", found) : found;
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

function problems(file: string, text: string): string[] {
  return checkDocument(file, text).diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);
}

const flag = (extra: Record<string, unknown>) => ({
  state: "ENABLED",
  variants: { on: true, off: false },
  defaultVariant: "off",
  ...extra,
});

describe("flagd flag files in withstand validate", () => {
  it("accepts flagd's own format: $schema, $evaluators with $ref, metadata, YAML and JSON alike", () => {
    const json = JSON.stringify(
      {
        $schema: "https://flagd.dev/schema/v0/flags.json",
        metadata: { flagSetId: "shop", version: 2 },
        $evaluators: { staff: { ends_with: [{ var: "email" }, "@shop.example"] } },
        flags: {
          a: flag({ targeting: { if: [{ $ref: "staff" }, "on", null] }, metadata: { owner: "web" } }),
          b: flag({
            targeting: {
              fractional: [{ var: "userId" }, ["on", { if: [{ var: "vip" }, 90, 10] }], ["off", 90]],
            },
          }),
          c: flag({
            targeting: { if: [{ sem_ver: [{ var: "v" }, "^", "2.0.0"] }, "on", "off"] },
            defaultVariant: null,
          }),
          d: { state: "DISABLED", variants: { x: { deep: [1, 2] } } },
        },
      },
      null,
      2,
    );
    const r = checkDocument("flags.json", json);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.summary, "valid flagd flag definitions (4 flags: a, b, c, d)");
    const yaml =
      "flags:\n  kill-switch:\n    state: ENABLED\n    variants: {on: true, off: false}\n    defaultVariant: on\n";
    assert.equal(checkDocument("flags.yaml", yaml).valid, true);
  });

  it("reports an unknown defaultVariant at its value, naming the variants", () => {
    const text = JSON.stringify({ flags: { a: flag({ defaultVariant: "maybe" }) } }, null, 2);
    assert.deepEqual(problems("f.json", text), [
      `${at(text, '"maybe"')} flags.a.defaultVariant: unknown variant "maybe" (expected one of on, off)`,
    ]);
  });

  it("reports fractional weights that are not whole numbers at each weight", () => {
    const text = JSON.stringify(
      {
        flags: {
          a: flag({
            targeting: {
              fractional: [
                ["on", "20"],
                ["off", 80.5],
              ],
            },
          }),
        },
      },
      null,
      2,
    );
    assert.deepEqual(problems("f.json", text), [
      `${at(text, '"20"')} flags.a.targeting.fractional[0][1]: weight: got "20" (expected a whole number or a JsonLogic rule giving one; flagd-core ignores the whole fractional otherwise)`,
      `${at(text, "80.5")} flags.a.targeting.fractional[1][1]: weight: got 80.5 (expected a whole number or a JsonLogic rule giving one; flagd-core ignores the whole fractional otherwise)`,
    ]);
  });

  it("reports JsonLogic flagd-core cannot compile at the innermost bad rule", () => {
    const text = JSON.stringify(
      { flags: { a: flag({ targeting: { if: [{ and: [true, { frobnicate: [1] }] }, "on", "off"] } }) } },
      null,
      2,
    );
    const [p, ...rest] = problems("f.json", text);
    assert.deepEqual(rest, []);
    assert.equal(
      p,
      `${at(text, '"frobnicate"', true)} flags.a.targeting.if[0].and[1]: invalid JsonLogic (unknown operator or bad arguments of "frobnicate"): flagd-core cannot compile it, so every evaluation of "a" would be a PARSE_ERROR`,
    );
  });

  it("reports a $ref to no evaluator and a bad state as errors, an unknown key (did-you-mean) and mixed variant types as warnings", () => {
    const yaml = [
      "$evaluators:",
      "  staff: {ends_with: [{var: email}, '@x']}",
      "flags:",
      "  a:",
      "    state: ON",
      "    variants: {on: true, off: 'no'}",
      "    defaultVariant: on",
      "    targting: {}",
      "  b:",
      "    state: ENABLED",
      "    variants: {on: true, off: false}",
      "    targeting: {if: [{$ref: staf}, on, null]}",
      "",
    ].join("\n");
    assert.deepEqual(
      checkDocument("f.yaml", yaml).diagnostics.map(
        (d) => `${d.line}:${d.col} ${d.severity} ${d.path}: ${d.message}`,
      ),
      [
        "8:5 warning flags.a.targting: unknown key (did you mean targeting?); flagd ignores it",
        '5:12 error flags.a.state: got "ON" (expected ENABLED or DISABLED)',
        "6:15 warning flags.a.variants: variants mix types (boolean, string); expected one type for all (flagd serves the flag, but a typed evaluation of a variant of another type fails with TYPE_MISMATCH)",
        '12:29 error flags.b.targeting.if[0].$ref: no evaluator "staf" (expected one of $evaluators: staff)',
      ],
    );
  });

  it("warns about a fractional bucket naming no variant (users there get an error)", () => {
    const text = JSON.stringify(
      {
        flags: {
          a: flag({
            targeting: {
              fractional: [
                ["on", 1],
                ["onn", 1],
              ],
            },
          }),
        },
      },
      null,
      2,
    );
    const r = checkDocument("f.json", text);
    assert.equal(r.valid, true);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.message}`),
      [
        `${at(text, '"onn"')} warning variant "onn" is not one of this flag's variants (on, off): users in this bucket get an error`,
      ],
    );
  });

  it("accepts flagd's list form of flags (flagd #1797), keyed by each flag's key, and reports problems at their index", () => {
    // Shaped like flagd-testbed's flag files in the list form.
    const text = JSON.stringify(
      {
        $schema: "https://flagd.dev/schema/v0/flagd.json",
        metadata: { flagSetId: "testbed" },
        $evaluators: { emailWithFaas: { ends_with: [{ var: "email" }, "@faas.com"] } },
        flags: [
          { key: "boolean-flag", state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
          {
            key: "targeted-flag",
            state: "ENABLED",
            variants: { first: "AAA", second: "BBB" },
            defaultVariant: "first",
            targeting: { if: [{ $ref: "emailWithFaas" }, "second", null] },
            metadata: { owner: "qa" },
          },
        ],
      },
      null,
      2,
    );
    const r = checkDocument("list.json", text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual([r.kind, r.valid], ["flagd", true]);
    assert.equal(r.summary, "valid flagd flag definitions (2 flags: boolean-flag, targeted-flag)");
    const broken = JSON.stringify(
      {
        flags: [
          { key: "a", state: "ENABLED", variants: { on: true }, defaultVariant: "on" },
          { key: "b", variants: { on: true }, defaultVariant: "of" },
          { state: "ENABLED", variants: { on: true } },
          { key: "a", state: "DISABLED", variants: { on: true } },
        ],
      },
      null,
      2,
    );
    // JSON.stringify(…, null, 2) puts flags[1] at line 11, its defaultVariant at 16, flags[2] at 18, flags[3].key at 25.
    assert.deepEqual(
      checkDocument("list.json", broken).diagnostics.map(
        (d) => `${d.line}:${d.col} ${d.severity} ${d.path}: ${d.message}`,
      ),
      [
        "18:5 error flags[2]: key: is required (expected the flag's key, a non-empty string)",
        '25:14 warning flags[3].key: flag "a" is also defined at flags[0]; this later one is served (as flagd does)',
        "11:5 error flags[1].state: is required (expected ENABLED or DISABLED)",
        '16:25 error flags[1].defaultVariant: unknown variant "of" (expected one of on)',
      ],
    );
  });

  it("recognises a flag file by its flags even when a flag misses state, and reports it at its path", () => {
    const text =
      '{\n  "flags": {\n    "f": {\n      "variants": {"on": true, "off": false},\n      "defaultVariant": "on"\n    }\n  }\n}\n';
    const r = checkDocument("flags.json", text);
    assert.equal(r.kind, "flagd");
    assert.deepEqual(problems("flags.json", text), [
      "3:10 flags.f.state: is required (expected ENABLED or DISABLED)",
    ]);
    const named = checkDocument(
      "named.yaml",
      "$schema: https://flagd.dev/schema/v0/flags.json\nflags:\n  f: {state: ENABLED}\n",
    );
    assert.equal(named.kind, "flagd");
    assert.deepEqual(
      named.diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`),
      ["3:6 flags.f.variants: is required (expected a mapping of variant names to values)"],
    );
  });

  it("exports flagd's JSON Schema with both forms of flags (withstand schema flagd)", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(jsonSchemaOf("flagd") ?? {});
    const one = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" };
    assert.equal(validate({ flags: { a: one } }), true);
    assert.equal(validate({ flags: [{ key: "a", ...one }] }), true);
    assert.equal(validate({ flags: { a: { ...one, descripton: "flagd allows other keys" } } }), true);
    assert.equal(validate({ flags: [one] }), false, "a flag in the list form needs its key");
    assert.equal(validate({ flags: { a: { ...one, state: "ON" } } }), false);
  });
});
