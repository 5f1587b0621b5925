/**
 * flagd's fractional v2 bucketing as the flag server applies a change of weights (the path `flags set
 * --weights` and a rollout take): the same user always gets the same variant, and raising a
 * percentage only ever moves users from off to on.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FlagSet } from "../../../src/flags/flagset.js";

function rollout(onPercent: number): FlagSet {
  const set = new FlagSet();
  set.load([
    {
      file: "flags.json",
      flags: {
        metadata: {},
        flags: {
          "new-pricing": {
            state: "ENABLED",
            variants: { on: true, off: false },
            defaultVariant: "off",
            targeting: {
              fractional: [
                ["on", 20],
                ["off", 80],
              ],
            },
          },
        },
      },
    },
  ]);
  if (onPercent !== 20) set.setOverride("new-pricing", { weights: { on: onPercent, off: 100 - onPercent } });
  return set;
}

const variantOf = (set: FlagSet, targetingKey: string) =>
  set.evaluate("new-pricing", { targetingKey }).body.variant as string;

const KEYS = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? randomUUID() : `user-${i}`));

describe("fractional rollouts (flagd v2 bucketing through flagd-core)", () => {
  it("moves no user of 10,000 from on to off when 20% becomes 50%, and about 30% from off to on", () => {
    const at20 = rollout(20);
    const at50 = rollout(50);
    let on20 = 0;
    let moved = 0;
    for (const key of KEYS) {
      const before = variantOf(at20, key);
      const after = variantOf(at50, key);
      if (before === "on") {
        on20++;
        assert.equal(after, "on", `${key} was on at 20% and must stay on at 50%`);
      } else if (after === "on") moved++;
    }
    // Binomial spread: 4 standard deviations of 10,000 draws.
    assert.ok(Math.abs(on20 - 2000) < 160, `${on20} of 10,000 on at 20%`);
    assert.ok(Math.abs(on20 + moved - 5000) < 200, `${on20 + moved} of 10,000 on at 50%`);
  });

  it("gives the same user the same variant every time, whichever server instance evaluates", () => {
    const a = rollout(35);
    const b = rollout(35);
    for (const key of KEYS.slice(0, 2000)) {
      const first = variantOf(a, key);
      assert.equal(variantOf(a, key), first);
      assert.equal(variantOf(b, key), first);
    }
  });

  it("only ever adds users to on as the percentage rises, for any two percentages", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        fc.string({ minLength: 1 }),
        (x, y, key) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          if (variantOf(rollout(lo), key) === "on") assert.equal(variantOf(rollout(hi), key), "on");
        },
      ),
      { numRuns: 500 },
    );
  });
});
