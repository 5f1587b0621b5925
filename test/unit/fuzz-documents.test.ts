/**
 * Fuzzing every document reader (#12): real documents mutated byte by byte, random JSON and YAML, and
 * pathological nesting. No reader may throw, hang or crash, and every diagnostic points inside the file.
 * Bounded: FUZZ_RUNS per property (default 3000), well under a minute in all.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { checkDocument } from "../../src/documents/kinds.js";
import { ROOT } from "../helpers/paths.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEEDS = [
  "examples/demo/kill-replica.yaml",
  "examples/demo/rollout-v2-bad.yaml",
  "examples/demo/slo.yaml",
  "examples/demo/slow-inventory.yaml",
  "test/fixtures/ctk/unresponsive-service.json",
  "test/fixtures/ctk/bad.yaml",
  "test/fixtures/slo/orders.yaml",
  "test/fixtures/load/bad-threshold.yaml",
].map((f) => readFileSync(join(ROOT, f), "utf8"));

let checked = 0;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are what must not appear
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** Runs the reader and checks every diagnostic's position lies inside the text. */
function assertSane(text: string): void {
  const r = checkDocument("f.yaml", text);
  checked++;
  const lines = text.split("\n");
  for (const d of r.diagnostics) {
    assert.ok(d.line >= 1 && d.line <= lines.length, `line ${d.line} of ${lines.length}: ${d.message}`);
    const width = (lines[d.line - 1] ?? "").length;
    assert.ok(
      d.col >= 1 && d.col <= width + 1,
      `col ${d.col} past the end (${width}) of line ${d.line}: ${d.message}`,
    );
    assert.doesNotMatch(formatDiagnostic(d), RAW_CONTROL, "no raw control character echoed");
  }
  if (r.valid) assert.ok(r.summary.startsWith("valid "));
}

const mutation = fc.record({
  seed: fc.nat({ max: SEEDS.length - 1 }),
  edits: fc.array(
    fc.record({
      at: fc.nat(),
      cut: fc.nat({ max: 8 }),
      insert: fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom(
          "[",
          "]",
          "{",
          "}",
          ":",
          "- ",
          "\n",
          "  ",
          "#",
          '"',
          "'",
          "&a",
          "*a",
          "!!str",
          "${x}",
          "\r",
          "\u001b[31m",
        ),
      ),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

describe("fuzzing the document readers", () => {
  it("mutated real documents never crash a reader, and errors point inside the file", () => {
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        let text = SEEDS[seed] ?? "";
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.cut);
        }
        assertSane(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("random JSON and YAML values never crash a reader", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, asYaml) => {
        const doc = { apiVersion: "withstand/v1", kind: "Experiment", spec: value };
        assertSane(asYaml ? stringify(value) : JSON.stringify(value));
        assertSane(JSON.stringify(doc));
      }),
      { numRuns: RUNS },
    );
  });

  it("nesting bombs, alias bombs and long lines are refused at a position, quickly", () => {
    const bombs = [
      "[".repeat(1000),
      "{a: ".repeat(1000),
      `${"- ".repeat(1000)}x`,
      `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `b${i}: &b${i} [${`*${i === 0 ? "a" : `b${i - 1}`}, `.repeat(9)}]`).join("\n")}\n`,
      `${Array.from({ length: 200 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} x\n`,
    ];
    for (const text of bombs) {
      const r = checkDocument("bomb.yaml", text);
      assert.equal(r.valid, false);
      assert.ok(r.diagnostics.length > 0);
      assertSane(text);
    }
    assert.ok(checked > 0);
  });
});
