import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { z } from "zod";
import {
  DAY_MS,
  duration,
  durationSchema,
  formatDurationExact,
  MAX_DURATION_MS,
  readDurationValue,
} from "../../src/core/duration.js";

describe("the one duration type", () => {
  it("reads seconds, numeric strings, units and sums of units, in milliseconds", () => {
    const ms = (v: unknown) => duration.parse(v);
    assert.equal(ms(2), 2000);
    assert.equal(ms("0.5"), 500);
    assert.equal(ms("250ms"), 250);
    assert.equal(ms("1m30s"), 90_000);
    assert.equal(ms("1d"), DAY_MS);
    assert.equal(ms(0), 0);
    assert.equal(ms("0s"), 0);
  });

  it("says the same thing for every wrong duration, with what it expected", () => {
    assert.deepEqual(readDurationValue("soon"), {
      ok: false,
      message: 'got "soon" (expected seconds or a duration such as "500ms", "10s", "5m")',
    });
    assert.deepEqual(readDurationValue(-1), {
      ok: false,
      message: 'got -1 (expected seconds or a duration such as "500ms", "10s", "5m")',
    });
    assert.deepEqual(readDurationValue("1e12"), {
      ok: false,
      message: 'got "1e12" (expected seconds or a duration such as "500ms", "10s", "5m")',
    });
  });

  it("refuses more than 24 days (Node's timers overflow past 24.8) or the field's own maximum", () => {
    assert.equal(MAX_DURATION_MS, 24 * DAY_MS);
    assert.deepEqual(readDurationValue("24d"), { ok: true, ms: 24 * DAY_MS });
    assert.deepEqual(readDurationValue("30d"), {
      ok: false,
      message: 'got "30d" (expected at most 24d, the longest duration withstand waits for)',
    });
    assert.deepEqual(readDurationValue(1e12), {
      ok: false,
      message:
        "got 1000000000000 (expected at most 24d (2073600 seconds), the longest duration withstand waits for)",
    });
    assert.deepEqual(readDurationValue("2h", { maxMs: 3_600_000 }), {
      ok: false,
      message: 'got "2h" (expected at most 1h)',
    });
  });

  it("refuses 0 only where the field says it must be above 0", () => {
    assert.deepEqual(readDurationValue("0s", { positive: true }), {
      ok: false,
      message: 'got "0s" (expected a duration above 0, such as "500ms", "10s", "5m")',
    });
    assert.deepEqual(readDurationValue(0), { ok: true, ms: 0 });
  });

  it("writes a maximum in exact units", () => {
    assert.equal(formatDurationExact(24 * DAY_MS), "24d");
    assert.equal(formatDurationExact(90_500), "1m30s500ms");
  });

  it("exports a JSON Schema that a real validator applies: number or duration text, bounded", () => {
    const json = z.toJSONSchema(z.strictObject({ wait: durationSchema({ positive: true }) }), {
      io: "input",
      target: "draft-7",
      unrepresentable: "any",
    });
    const validate = new Ajv({ strict: false }).compile(json);
    for (const ok of [1, 0.5, "250ms", "1m30s", "10", "${wait}"])
      assert.equal(validate({ wait: ok }), true, String(ok));
    for (const bad of ["soon", "10 seconds", "1e12", -1, 0, 1e12, true])
      assert.equal(validate({ wait: bad }), false, String(bad));
  });
});
