import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { EventBus, type RunEvent } from "../../src/core/events.js";
import { readRollout } from "../../src/documents/rollout.js";
import { parseSource } from "../../src/documents/source.js";
import { isAlive } from "../../src/platform/processes.js";
import { Router, type RouterOptions } from "../../src/proxy/router.js";
import { RolloutController } from "../../src/rollout/controller.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

interface Reply {
  status: number;
  version: string;
}

function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers, method }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, version: String(res.headers["x-withstand-version"]) }),
      );
    });
    req.on("error", (err) => resolve({ status: 0, version: err.message }));
    req.end();
  });
}

/** Sends requests with `concurrency` in flight until `keepGoing` says stop; every reply is kept. */
async function hammer(
  url: string,
  concurrency: number,
  keepGoing: (sent: number) => boolean,
): Promise<Reply[]> {
  const replies: Reply[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (keepGoing(sent)) {
        sent++;
        replies.push(await get(url));
      }
    }),
  );
  return replies;
}

/** A router on a free loopback port at `weight`, for the length of `body`. */
async function withRouter(
  opts: RouterOptions,
  weight: number,
  body: (router: Router, url: string) => Promise<void>,
): Promise<void> {
  const router = new Router(opts);
  const addr = await router.listen("127.0.0.1", 0);
  router.setWeight(weight);
  try {
    await body(router, `http://${addr}/`);
  } finally {
    await router.close();
  }
}

describe("the canary router", () => {
  let stable: Awaited<ReturnType<typeof startServer>>;
  let canary: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    stable = await startServer((_r, res) => res.end("stable"));
    canary = await startServer((_r, res) => res.end("canary"));
  });
  after(async () => {
    await stable.close();
    await canary.close();
  });

  it("respects the weight within ±2% over 10k requests, random and sticky, and counts every one", async () => {
    await withRouter(
      {
        name: "w",
        stable: stable.url,
        canary: canary.url,
        stickiness: { header: "x-user-id" },
      },
      30,
      async (router, url) => {
        const before = { s: stable.seen.length, c: canary.seen.length };
        const replies = await hammer(url, 32, (n) => n < 10_000);
        const toCanary = replies.filter((r) => r.version === "canary").length;
        assert.equal(replies.length, 10_000);
        assert.ok(replies.every((r) => r.status === 200));
        assert.ok(Math.abs(toCanary / 100 - 30) <= 2, `random split: ${toCanary / 100}% to canary`);
        assert.equal(
          canary.seen.length - before.c,
          toCanary,
          "the canary saw exactly the requests routed to it",
        );
        assert.equal(stable.seen.length - before.s, 10_000 - toCanary);
        assert.equal(router.stats.canary.total + router.stats.stable.total, 10_000);

        let sticky = 0;
        const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
        for (let i = 0; i < users.length; i += 50) {
          const batch = await Promise.all(users.slice(i, i + 50).map((u) => get(url, { "x-user-id": u })));
          sticky += batch.filter((r) => r.version === "canary").length;
        }
        assert.ok(Math.abs(sticky / 100 - 30) <= 2, `sticky split: ${sticky / 100}% to canary`);
      },
    );
  });

  it("keeps every user on one version (100% stickiness), and canary users stay on the canary as its weight grows", async () => {
    await withRouter(
      {
        name: "s",
        stable: stable.url,
        canary: canary.url,
        stickiness: { cookie: "uid" },
      },
      25,
      async (router, url) => {
        const users = Array.from({ length: 300 }, (_, i) => `u${i}`);
        const first = new Map<string, string>();
        for (let round = 0; round < 10; round++) {
          const replies = await Promise.all(users.map((u) => get(url, { cookie: `a=1; uid=${u}` })));
          replies.forEach((r, i) => {
            const u = users[i] as string;
            assert.equal(r.status, 200);
            if (!first.has(u)) first.set(u, r.version);
            assert.equal(r.version, first.get(u), `${u} switched version in round ${round}`);
          });
        }
        router.setWeight(60);
        const later = await Promise.all(users.map((u) => get(url, { cookie: `uid=${u}` })));
        later.forEach((r, i) => {
          if (first.get(users[i] as string) === "canary") assert.equal(r.version, "canary");
        });
      },
    );
  });

  it("sends a request to stable when the canary refuses connections", async () => {
    const gone = await startServer((_r, res) => res.end());
    const goneUrl = gone.url;
    await gone.close();
    await withRouter({ name: "f", stable: stable.url, canary: goneUrl }, 100, async (router, url) => {
      const replies = await hammer(url, 8, (n) => n < 200);
      assert.ok(replies.every((r) => r.status === 200 && r.version === "stable"));
      assert.equal(router.failedOver, 200);
    });
  });

  it("repeats on stable only what is safe to repeat when the canary drops a request it may have seen", async () => {
    // A canary that reads the request, then resets the connection without answering.
    const dropping = createNetServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    await new Promise<void>((r) => dropping.listen(0, "127.0.0.1", r));
    const port = (dropping.address() as AddressInfo).port;
    try {
      await withRouter(
        { name: "r", stable: stable.url, canary: `http://127.0.0.1:${port}` },
        100,
        async (_router, url) => {
          const seenByStable = stable.seen.length;
          const read = await get(url);
          assert.deepEqual(read, { status: 200, version: "stable" }, "a GET is repeated on stable");
          const write = await get(url, {}, "POST");
          assert.deepEqual(write, { status: 502, version: "canary" }, "a POST is never sent twice");
          assert.equal(stable.seen.length - seenByStable, 1);
        },
      );
    } finally {
      dropping.close();
    }
  });

  it("takes a malformed cookie as the stickiness key instead of failing the request", async () => {
    await withRouter(
      {
        name: "c",
        stable: stable.url,
        canary: canary.url,
        stickiness: { cookie: "uid" },
      },
      50,
      async (_router, url) => {
        const replies = await Promise.all(
          Array.from({ length: 20 }, () => get(url, { cookie: "uid=%E0%A4%A" })),
        );
        assert.ok(
          replies.every((r) => r.status === 200 && r.version === replies[0]?.version),
          JSON.stringify(replies),
        );
      },
    );
  });
});

describe("a rollout under load", () => {
  it("loses no request across weight changes and a rollback that stops the canary it started", async () => {
    const { env } = isolatedEnv();
    process.env.WITHSTAND_STATE_DIR = env.WITHSTAND_STATE_DIR;
    const target = `${ROOT}dist/test/helpers/target-server.js`;
    const { docs } = parseSource(
      "r.yaml",
      `apiVersion: withstand/v1
kind: Rollout
metadata: {name: lossless}
spec:
  listen: 127.0.0.1:0
  stable: {command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(target)}, --port, "\${port}"]}
  canary: {command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(target)}, --port, "\${port}", --delay, "5"]}
  steps:
    - setWeight: 30
    - pause: {duration: 300ms}
    - setWeight: 60
    - pause: {}
`,
    );
    const { spec, diagnostics } = readRollout(docs[0] as (typeof docs)[number]);
    assert.ok(spec, JSON.stringify(diagnostics));
    const bus = new EventBus();
    const events: RunEvent[] = [];
    let canaryStopped = false;
    let stopLoad = false;
    let load: Promise<Reply[]> | undefined;
    let canaryPid = 0;
    const controller = new RolloutController(spec, {
      runId: "lossless",
      bus,
      onListening: (address) => {
        load = hammer(`http://${address}/`, 16, () => !stopLoad);
      },
      beforeClose: async () => {
        // Keep the load on after the canary is gone, then let it finish before the router closes.
        const sent = router().stats.stable.total;
        while (router().stats.stable.total < sent + 300) await new Promise((r) => setImmediate(r));
        stopLoad = true;
        await load;
      },
    });
    const router = () => controller.router;
    bus.on((e) => {
      events.push(e);
      if (e.type === "fault-injected" && e.activity === "start canary")
        canaryPid = Number(/^process (\d+)/.exec(e.targets[0] ?? "")?.[1]);
      if (e.type === "fault-reverted" && e.activity === "start canary") canaryStopped = true;
      if (e.type === "rollout-paused" && /waiting/.test(e.reason))
        // Abort once the canary has carried real traffic at 60%.
        void (async () => {
          const seen = router().stats.canary.total;
          while (router().stats.canary.total < seen + 200) await new Promise((r) => setImmediate(r));
          controller.abort("test abort");
        })();
    });
    const result = await controller.run();
    const replies = (await load) ?? [];
    assert.equal(result.decision, "aborted");
    assert.equal(result.exitCode, 3);
    assert.ok(canaryStopped, "the canary withstand started was stopped");
    assert.ok(canaryPid > 0 && !isAlive(canaryPid), "the canary process is gone");
    const failed = replies.filter((r) => r.status !== 200);
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${replies.length} requests failed`);
    const s = controller.router.stats;
    assert.equal(s.stable.total + s.canary.total, replies.length, "the router counted every request");
    assert.ok(s.canary.total >= 200, `canary carried ${s.canary.total} requests`);
    const weights = events.flatMap((e) => (e.type === "rollout-weight" ? [e.weight] : []));
    assert.deepEqual(weights, [0, 30, 60, 0]);
  });
});

describe("a rollout with a baseline", () => {
  it("starts a same-age baseline with as much traffic as the canary, judges against it, and stops it on promotion", async () => {
    const { env } = isolatedEnv();
    process.env.WITHSTAND_STATE_DIR = env.WITHSTAND_STATE_DIR;
    const target = `${ROOT}dist/test/helpers/target-server.js`;
    const cmd = JSON.stringify([process.execPath, target, "--port", "${port}"]);
    const { docs } = parseSource(
      "b.yaml",
      `apiVersion: withstand/v1
kind: Rollout
metadata: {name: with-baseline}
spec:
  listen: 127.0.0.1:0
  stable: {command: ${cmd}}
  baseline: {command: ${cmd}}
  canary: {command: ${cmd}}
  steps:
    - setWeight: 25
    - analysis: {interval: 1500ms, count: 1, judge: {metrics: [{name: errors, source: router, measure: error-rate}]}}
`,
    );
    const { spec, diagnostics } = readRollout(docs[0] as (typeof docs)[number]);
    assert.ok(spec, JSON.stringify(diagnostics));
    const bus = new EventBus();
    const pids = new Map<string, number>();
    bus.on((e) => {
      if (e.type === "fault-injected")
        pids.set(e.activity, Number(/^process (\d+)/.exec(e.targets[0] ?? "")?.[1]));
    });
    let stop = false;
    let load: Promise<Reply[]> | undefined;
    const controller = new RolloutController(spec, {
      runId: "with-baseline",
      bus,
      onListening: (address) => {
        load = hammer(`http://${address}/`, 8, () => !stop);
      },
      beforeClose: async () => {
        stop = true;
        await load;
      },
    });
    const result = await controller.run();
    assert.equal(result.decision, "promoted", result.reason);
    const s = result.status;
    assert.ok(s.baseline, "the status reports the baseline");
    assert.ok((s.baseline?.requests ?? 0) > 100, JSON.stringify(s));
    // While both run, the baseline and the canary get 25% each: the judge saw two samples of one size.
    const m = result.analyses[0]?.measurements[0]?.judgement?.metrics[0];
    assert.ok(
      m && Math.abs(m.controlCount - m.experimentCount) / m.experimentCount < 0.25,
      "judged against the baseline's requests",
    );
    assert.ok(!isAlive(pids.get("start baseline") ?? 0), "the baseline is stopped");
  });
});

describe("an inconclusive analysis", () => {
  it("is measured again on promote, and skipped only by promote --skip-analysis, which is recorded", async () => {
    const { env } = isolatedEnv();
    process.env.WITHSTAND_STATE_DIR = env.WITHSTAND_STATE_DIR;
    const stable = await startServer((_r, res) => res.end("stable"));
    const canary = await startServer((_r, res) => res.end("canary"));
    try {
      const { docs } = parseSource(
        "r.yaml",
        `apiVersion: withstand/v1
kind: Rollout
metadata: {name: no-traffic}
spec:
  listen: 127.0.0.1:0
  stable: {url: "${stable.url}"}
  canary: {url: "${canary.url}"}
  steps:
    - setWeight: 20
    - analysis:
        interval: 100ms
        judge:
          metrics: [{name: errors, source: router, measure: error-rate, direction: increase}]
`,
      );
      const { spec, diagnostics } = readRollout(docs[0] as (typeof docs)[number]);
      assert.ok(spec, JSON.stringify(diagnostics));
      const bus = new EventBus();
      const events: RunEvent[] = [];
      const controller = new RolloutController(spec, { runId: "inconclusive", bus });
      let pauses = 0;
      bus.on((e) => {
        events.push(e);
        if (e.type !== "rollout-paused" || !/inconclusive/.test(e.reason)) return;
        pauses++;
        // No traffic at all: the first promote measures again (still no data), the second skips.
        setImmediate(() => controller.promote(false, pauses >= 2));
      });
      const result = await controller.run();
      const measurements = events.filter((e) => e.type === "rollout-measurement");
      assert.equal(pauses, 2);
      assert.equal(measurements.length, 2, "promote measured the analysis again");
      assert.ok(measurements.every((m) => m.type === "rollout-measurement" && m.phase === "Inconclusive"));
      assert.ok(events.some((e) => e.type === "rollout-resumed" && e.by === "promote --skip-analysis"));
      assert.ok(
        events.some((e) => e.type === "warning" && /skipped \(promote --skip-analysis\)/.test(e.message)),
      );
      assert.equal(result.decision, "promoted");
    } finally {
      await stable.close();
      await canary.close();
    }
  });
});
