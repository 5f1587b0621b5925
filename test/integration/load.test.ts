import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LoadPlan } from "../../src/core/load-plan.js";
import { summarize } from "../../src/core/window.js";
import { runLoad } from "../../src/load/coordinator.js";
import { startTarget } from "../helpers/processes.js";

// Accuracy tests with generous tolerances: the precise figures belong in bench/load.
const plan = (url: string, over: Partial<LoadPlan> = {}): LoadPlan => ({
  name: "t",
  executor: { type: "constant-arrival-rate", rate: 500, durationMs: 2000 },
  requests: [{ method: "GET", url, headers: {}, weight: 1 }],
  connections: 32,
  timeoutMs: 5000,
  maxRequests: 1_000_000,
  thresholds: [],
  workers: 1,
  ...over,
});
const never = new AbortController().signal;

describe("load generator against real servers", () => {
  let slow: Awaited<ReturnType<typeof startTarget>>;
  let failing: Awaited<ReturnType<typeof startTarget>>;
  before(async () => {
    slow = await startTarget(["--delay", "20"]);
    failing = await startTarget(["--fail-every", "10"]);
  });
  after(async () => {
    await slow.stop();
    await failing.stop();
  });

  it("achieves the arrival rate and measures a known 20 ms latency", async () => {
    const windows: number[] = [];
    const out = await runLoad(plan(`${slow.url}/`), {
      signal: never,
      onWindow: (w) => windows.push(w.count),
    });
    assert.equal(out.sent, 1000);
    assert.equal(out.total.count, 1000);
    const s = summarize(out.total);
    assert.ok(s.latencyMs.med >= 19 && s.latencyMs.med < 60, `median ${s.latencyMs.med}`);
    assert.ok(windows.length >= 2, "one window per second");
  });

  it("classifies 5xx as failed, like k6's http_req_failed, and evaluates thresholds", async () => {
    const out = await runLoad(
      plan(`${failing.url}/`, {
        thresholds: [
          { metric: "http_req_failed", expression: "rate<0.05", abortOnFail: false, delayAbortEvalMs: 0 },
          { metric: "http_reqs", expression: "count==1000", abortOnFail: false, delayAbortEvalMs: 0 },
        ],
      }),
      { signal: never },
    );
    assert.equal(out.total.errors, 100);
    assert.equal(out.total.statusCodes["500"], 100);
    assert.deepEqual(
      out.thresholds.map((t) => t.ok),
      [false, true],
    );
  });

  it("stops early when an abortOnFail threshold fails, after delayAbortEval", async () => {
    const started = Date.now();
    const out = await runLoad(
      plan(`${failing.url}/`, {
        executor: { type: "constant-arrival-rate", rate: 200, durationMs: 10_000 },
        thresholds: [
          { metric: "http_req_failed", expression: "rate<0.01", abortOnFail: true, delayAbortEvalMs: 1000 },
        ],
      }),
      { signal: never },
    );
    assert.equal(out.abortedBy, "http_req_failed rate<0.01");
    assert.ok(Date.now() - started < 6000);
    assert.ok(out.total.count >= 200, "it ran at least until delayAbortEval");
  });

  it("merges worker threads exactly: two workers send the same schedule as one", async () => {
    const out = await runLoad(plan(`${slow.url}/`, { workers: 2 }), { signal: never });
    assert.equal(out.sent, 1000);
    assert.equal(out.total.count, 1000);
    assert.equal(out.total.latency.totalCount, 1000);
  });

  it("runs a closed model at full speed with a bounded request count", async () => {
    const out = await runLoad(
      plan(`${slow.url}/`, {
        executor: { type: "constant-vus", vus: 4, durationMs: 5000 },
        connections: 4,
        maxRequests: 40,
      }),
      { signal: never },
    );
    assert.equal(out.total.count, 40);
  });
});

it("tells the truth under a stall: a 1 s server pause shows in p99 (no coordinated omission)", async (t) => {
  const stalling = await startTarget(["--stall-at", "1500", "--stall-for", "1000"]);
  t.after(() => stalling.stop());
  try {
    const out = await runLoad(
      plan(`${stalling.url}/`, { executor: { type: "constant-arrival-rate", rate: 200, durationMs: 4000 } }),
      { signal: never },
    );
    const s = summarize(out.total);
    const service = summarize(out.total, out.total.service);
    assert.ok(s.latencyMs.p99 >= 500, `p99 from the intended send ${s.latencyMs.p99}ms`);
    assert.ok(s.latencyMs.p90 > service.latencyMs.p90, "queueing shows only in the intended-time latency");
    assert.ok(out.total.late > 0);
  } finally {
    await stalling.stop();
  }
});
