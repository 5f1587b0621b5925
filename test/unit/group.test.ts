import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { GroupTotal } from "../../src/core/group.js";
import {
  fromStored,
  mergeWindows,
  newWindow,
  recordSample,
  summarize,
  toStored,
} from "../../src/core/window.js";

function window(start: number, latencies: number[]) {
  const w = newWindow(start);
  for (const l of latencies)
    recordSample(w, { latencyMicros: l, serviceMicros: l, status: l % 7 === 0 ? 500 : 200 });
  w.end = start + 1000;
  return w;
}

const member = fc.array(fc.array(fc.integer({ min: 1, max: 5_000_000 }), { maxLength: 40 }), {
  minLength: 1,
  maxLength: 6,
});

it("merges a group exactly however its members' windows arrive, each window once", () => {
  fc.assert(
    fc.property(
      fc.array(member, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 6 }),
      (members, cut) => {
        const runs = members.map((ws, m) => ws.map((ls, i) => window(10_000 + i * 1000 + m, ls)));
        const view = new GroupTotal();
        // Two refreshes that overlap: the second re-reads what the first had (as a late reader may).
        for (const [m, ws] of runs.entries()) view.add(`r${m}`, ws.slice(0, cut).map(toStored));
        for (const [m, ws] of runs.entries()) view.add(`r${m}`, ws.map(toStored));
        // What every member wrote, as encoded in the store (HDR's encoding keeps buckets, not the exact max).
        const expected = summarize(mergeWindows(runs.flat().map((w) => fromStored(toStored(w)))));
        const got = summarize(view.total);
        assert.equal(got.count, expected.count);
        assert.equal(got.errors, expected.errors);
        assert.deepEqual(got.latencyMs, expected.latencyMs);
        assert.equal(view.windowCount, runs.flat().length);
        assert.equal(view.members, runs.length);
      },
    ),
  );
});

it("names the first abortOnFail threshold the merged view fails, only after its delay", () => {
  const view = new GroupTotal();
  view.add("a", [toStored(window(0, [1000, 2000]))]);
  const spec = {
    metric: "http_reqs" as const,
    expression: "count<3",
    abortOnFail: true,
    delayAbortEvalMs: 0,
  };
  assert.equal(view.abortReason([spec]), undefined);
  view.add("b", [toStored(window(0, [1000, 2000]))]);
  assert.equal(view.abortReason([spec]), "http_reqs count<3");
  assert.equal(view.abortReason([{ ...spec, delayAbortEvalMs: 5000 }]), undefined);
  assert.equal(view.abortReason([{ ...spec, abortOnFail: false }]), undefined);
});
