import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type RoutedSample, SampleRing } from "../../src/core/sample-ring.js";

type Op = { push: RoutedSample } | { dropBefore: number } | { between: [number, number] };

const sample = fc.record({
  atMs: fc.integer({ min: 0, max: 1000 }),
  latencyMs: fc.double({ min: 0, max: 5000, noNaN: true }),
  error: fc.constantFrom(0 as const, 1 as const),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: sample.map((s) => ({ push: s })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1000 }).map((t) => ({ dropBefore: t })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
      .map(([a, b]) => ({ between: [Math.min(a, b), Math.max(a, b)] as [number, number] })),
  },
);

describe("the router's sample ring", () => {
  it("keeps exactly what a plain array with the same rules keeps: the newest `capacity`, trimmed from the oldest end", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(op, { maxLength: 300 }),
        (capacity, initial, ops) => {
          const ring = new SampleRing(capacity, initial);
          let model: RoutedSample[] = [];
          for (const o of ops) {
            if ("push" in o) {
              ring.push(o.push.atMs, o.push.latencyMs, o.push.error);
              model.push({ ...o.push });
              if (model.length > capacity) model = model.slice(model.length - capacity);
            } else if ("dropBefore" in o) {
              ring.dropStartedBefore(o.dropBefore);
              while (model.length > 0 && (model[0] as RoutedSample).atMs < o.dropBefore) model.shift();
            } else {
              const [from, to] = o.between;
              assert.deepEqual(
                ring.between(from, to),
                model.filter((s) => s.atMs >= from && s.atMs < to),
              );
            }
            assert.equal(ring.size, model.length);
          }
          assert.deepEqual(ring.between(0, Number.POSITIVE_INFINITY), model);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("holds a million samples in columns, the oldest overwritten beyond its capacity", () => {
    const ring = new SampleRing(1_000_000);
    for (let i = 0; i < 1_500_000; i++) ring.push(i, i / 1000, i % 100 === 0 ? 1 : 0);
    assert.equal(ring.size, 1_000_000);
    const kept = ring.between(0, 600_000);
    assert.equal(kept.length, 100_000);
    assert.deepEqual(kept[0], { atMs: 500_000, latencyMs: 500, error: 1 });
  });
});
