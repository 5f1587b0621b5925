/**
 * The contract every Store adapter passes (store/<adapter>.ts, chosen by openStore). Each adapter in
 * ADAPTERS runs the same suite: run records, events in order, windows whose histograms survive exactly,
 * the opaque tail cursor across processes, interrupted runs, and concurrent writers in other processes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events.js";
import {
  fromStored,
  mergeWindows,
  newWindow,
  recordSample,
  summarize,
  toStored,
} from "../../src/core/window.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { ROOT } from "../helpers/paths.js";
import { startPostgres } from "../helpers/postgres.js";
import { until } from "../helpers/processes.js";

interface Adapter {
  name: string;
  /** A fresh, empty store location (a path or URL) that other processes can open too. */
  location(): string;
}

// A real PostgreSQL server for the PostgreSQL adapter, started once for the suite.
const postgres = await startPostgres();
after(() => postgres.stop());

const ADAPTERS: Adapter[] = [
  { name: "sqlite", location: () => join(mkdtempSync(join(tmpdir(), "withstand-store-")), "store.db") },
  { name: "postgres", location: () => postgres.freshStore() },
];

const OPEN = join(ROOT, "dist", "src", "store", "open.js");
/** Runs a script in another process with `openStore` and the store location in scope. */
function inChild(location: string, body: string): ReturnType<typeof spawn> {
  const script = `import { openStore } from ${JSON.stringify(OPEN)};\nconst store = openStore(${JSON.stringify(location)});\n${body}`;
  return spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

const started = (runId: string, i: number): RunEvent => ({
  type: "warning",
  runId,
  ts: new Date(1_700_000_000_000 + i).toISOString(),
  message: `event ${i}`,
});

function sampleWindow(start: number, n: number) {
  const w = newWindow(start, { series: "s" });
  for (let i = 1; i <= n; i++)
    recordSample(w, {
      latencyMicros: i * 137,
      serviceMicros: i * 100,
      status: i % 10 === 0 ? 500 : 200,
      ...(i % 10 === 0 ? { errorClass: "5xx" } : {}),
    });
  w.end = start + 1000;
  return w;
}

async function begin(store: Store, id: string, kind = "experiment", startedAt = new Date().toISOString()) {
  await store.beginRun({ id, kind, title: `title ${id}`, source: `/src/${id}.yaml`, startedAt });
}

for (const adapter of ADAPTERS) {
  describe(`store contract: ${adapter.name}`, () => {
    it("records a run from begin to finish, and finds it by id or unique prefix", async () => {
      const store = openStore(adapter.location());
      try {
        await begin(store, "20260101-000000-aaaaaa", "load", "2026-01-01T00:00:00.000Z");
        await begin(store, "20260101-000001-bbbbbb", "rollout", "2026-01-01T00:00:01.000Z");
        const running = await store.listRuns();
        assert.deepEqual(
          running.map((r) => [r.id, r.status]),
          [
            ["20260101-000001-bbbbbb", "running"],
            ["20260101-000000-aaaaaa", "running"],
          ],
        );
        await store.finishRun("20260101-000000-aaaaaa", {
          status: "failed",
          deviated: false,
          outcome: "thresholds-failed",
          exitCode: 1,
          endedAt: "2026-01-01T00:00:05.000Z",
          durationMs: 5000,
          result: { metrics: { http_reqs: { count: 3 } } },
        });
        const run = await store.getRun("20260101-000000");
        assert.equal(run?.id, "20260101-000000-aaaaaa");
        assert.equal(run?.status, "failed");
        assert.equal(run?.outcome, "thresholds-failed");
        assert.equal(run?.exitCode, 1);
        assert.equal(run?.durationMs, 5000);
        assert.deepEqual(run?.result, { metrics: { http_reqs: { count: 3 } } });
        assert.equal(await store.getRun("20260101-00000"), undefined, "an ambiguous prefix finds nothing");
        // An exact id wins over longer ids it prefixes, even when those started later.
        await begin(store, "run-1", "load", "2026-01-02T00:00:00.000Z");
        await begin(store, "run-10", "load", "2026-01-02T00:00:01.000Z");
        await begin(store, "run-11", "load", "2026-01-02T00:00:02.000Z");
        assert.equal((await store.getRun("run-1"))?.id, "run-1");
        assert.equal(await store.getRun("run_"), undefined, "_ is not a wildcard");
        assert.equal(await store.countRuns({ kind: "load" }), 4);
        assert.equal(await store.countRuns({ status: "running" }), 4);
        assert.deepEqual(
          (await store.listRuns({ search: "bbbbbb" })).map((r) => r.kind),
          ["rollout"],
        );
        assert.deepEqual(
          (await store.listRuns({ limit: 1, offset: 4 })).map((r) => r.id),
          ["20260101-000000-aaaaaa"],
        );
      } finally {
        await store.close();
      }
    });

    it("keeps a run's events in order and its windows' histograms exactly", async () => {
      const store = openStore(adapter.location());
      try {
        await begin(store, "r1");
        for (let i = 0; i < 50; i++) await store.appendEvent(started("r1", i));
        const written = [sampleWindow(1000, 300), sampleWindow(2000, 700)].map(toStored);
        for (const w of written) await store.appendWindow("r1", "load", w);
        const run = await store.getRun("r1");
        assert.deepEqual(
          run?.events.map((e) => (e.type === "warning" ? e.message : "")),
          Array.from({ length: 50 }, (_, i) => `event ${i}`),
        );
        // The adapter keeps the encoded histograms byte for byte, so merges read back are exact.
        const back = run?.windows ?? [];
        assert.deepEqual(
          back.map((w) => [w.latency, w.service, w.count, w.errors]),
          written.map((w) => [w.latency, w.service, w.count, w.errors]),
        );
        const merged = (ws: typeof written) => {
          const { percentileMs: _f, ...numbers } = summarize(mergeWindows(ws.map(fromStored)));
          return numbers;
        };
        assert.deepEqual(merged(back), merged(written));
        const between = await store.windowsBetween("load", 1500, 2500);
        assert.deepEqual(
          between.map((w) => w.start),
          [2000],
        );
        assert.equal((await store.windowsBetween("*", 0, 10_000)).length, 2);
      } finally {
        await store.close();
      }
    });

    it("lists a load group's runs and reads each member's windows after a start, each window once", async () => {
      const store = openStore(adapter.location());
      try {
        for (const id of ["g1", "g2"])
          await store.beginRun({
            id,
            kind: "load",
            title: id,
            source: "lt.yaml",
            startedAt: new Date().toISOString(),
            group: "nightly",
          });
        await begin(store, "other", "load");
        const windows = [1000, 2000, 3000].map((start) => toStored(sampleWindow(start, 10)));
        for (const w of windows) await store.appendWindow("g1", "load", w);
        // A write retried after a lost connection (its first attempt committed) is not a second window.
        await store.appendWindow("g1", "load", windows[1] as (typeof windows)[number]);
        await store.appendWindow("g2", "load", toStored(sampleWindow(1000, 5)));
        const members = await store.listRuns({ group: "nightly" });
        assert.deepEqual(members.map((m) => m.id).sort(), ["g1", "g2"]);
        assert.ok(members.every((m) => m.group === "nightly"));
        assert.equal((await store.listRuns({ idPrefix: "other" }))[0]?.group, null);
        assert.equal(await store.countRuns({ group: "nightly" }), 2);
        assert.deepEqual(
          (await store.windowsAfter("g1", "load", -1)).map((w) => w.start),
          [1000, 2000, 3000],
        );
        assert.deepEqual(
          (await store.windowsAfter("g1", "load", 1000)).map((w) => w.start),
          [2000, 3000],
        );
        assert.equal((await store.getRun("g1"))?.windows.length, 3);
      } finally {
        await store.close();
      }
    });

    it("tails what any process writes after an opaque cursor", async () => {
      const location = adapter.location();
      const store = openStore(location);
      try {
        const start = await store.tail();
        assert.equal(typeof start.cursor, "string");
        assert.deepEqual([start.events, start.windows], [[], []]);
        const child = inChild(
          location,
          `await store.beginRun({ id: "other", kind: "load", title: "t", source: "s", startedAt: new Date().toISOString() });
for (let i = 0; i < 5; i++) await store.appendEvent({ type: "warning", runId: "other", ts: new Date().toISOString(), message: "m" + i });
await store.close();`,
        );
        await new Promise((r) => child.on("close", r));
        const t = await store.tail(start.cursor);
        assert.deepEqual(
          t.events.map((e) => (e.type === "warning" ? e.message : "")),
          ["m0", "m1", "m2", "m3", "m4"],
        );
        const again = await store.tail(t.cursor);
        assert.deepEqual(again.events, [], "a cursor moves past what it returned");
      } finally {
        await store.close();
      }
    });

    it("imports a finished run once (a repeated copy adds nothing), and tails it whole even past a batch", async () => {
      const location = adapter.location();
      const source = openStore(adapter.location());
      const store = openStore(location);
      try {
        await begin(source, "copied");
        for (let i = 0; i < 30; i++) await source.appendEvent(started("copied", i));
        await source.appendWindow("copied", "load", toStored(sampleWindow(1000, 10)));
        await source.finishRun("copied", {
          status: "completed",
          deviated: false,
          outcome: "held",
          exitCode: 0,
          endedAt: new Date().toISOString(),
          durationMs: 10,
          result: { ok: true },
        });
        const run = await source.getRun("copied");
        assert.ok(run);
        let { cursor } = await store.tail();
        assert.equal(await store.importRun(run), true);
        assert.equal(await store.importRun(run), false, "already there");
        const seen: RunEvent[] = [];
        for (let round = 0; round < 20; round++) {
          const t = await store.tail(cursor, 10);
          cursor = t.cursor;
          seen.push(...t.events);
          if (t.events.length === 0 && seen.length > 0) break;
        }
        assert.equal(seen.length, 30);
        const back = await store.getRun("copied");
        assert.deepEqual(
          [back?.status, back?.outcome, back?.events.length, back?.windows.length, back?.result],
          ["completed", "held", 30, 1, { ok: true }],
        );
      } finally {
        await source.close();
        await store.close();
      }
    });

    it("shows a run whose runner was SIGKILLed as interrupted, to a reader that was already open", async () => {
      const location = adapter.location();
      const store = openStore(location);
      try {
        const child = inChild(
          location,
          `await store.beginRun({ id: "doomed", kind: "experiment", title: "t", source: "s", startedAt: new Date().toISOString() });
console.log("begun");
setInterval(() => {}, 1000);`,
        );
        await new Promise((r) => child.stdout?.once("data", r));
        assert.equal((await store.getRun("doomed"))?.status, "running");
        child.kill("SIGKILL");
        await new Promise((r) => child.on("close", r));
        await until(
          async () => (await store.getRun("doomed"))?.status === "interrupted",
          5000,
          "interrupted",
        );
        assert.equal((await store.listRuns({ status: "interrupted" }))[0]?.id, "doomed");
      } finally {
        await store.close();
      }
    });

    it("pages with a negative or fractional limit or offset as with none", async () => {
      const store = openStore(adapter.location());
      try {
        for (let i = 0; i < 3; i++) await begin(store, `page-${i}`);
        const all = (await store.listRuns()).map((r) => r.id);
        assert.equal(all.length, 3);
        for (const page of [{ limit: -1 }, { limit: 1.5 }, { offset: -5 }, { limit: Number.NaN }])
          assert.deepEqual(
            (await store.listRuns(page)).map((r) => r.id),
            all,
            JSON.stringify(page),
          );
      } finally {
        await store.close();
      }
    });

    it("searches for %, _ and \\ literally, and ignores case", async () => {
      const store = openStore(adapter.location());
      try {
        for (const [id, title] of [
          ["s-percent", "100% done"],
          ["s-under", "snake_case"],
          ["s-back", "C:\\temp"],
          ["s-plain", "Plain Title"],
        ] as const)
          await store.beginRun({
            id,
            kind: "experiment",
            title,
            source: "src.yaml",
            startedAt: new Date().toISOString(),
          });
        const found = async (search: string) => (await store.listRuns({ search })).map((r) => r.id).sort();
        assert.deepEqual(await found("%"), ["s-percent"]);
        assert.deepEqual(await found("_"), ["s-under"]);
        assert.deepEqual(await found("\\"), ["s-back"]);
        assert.deepEqual(await found("plain title"), ["s-plain"]);
        assert.equal(await store.countRuns({ search: "%" }), 1);
      } finally {
        await store.close();
      }
    });

    it("keeps a NUL in a title as U+FFFD, and finds it by a search holding a NUL", async () => {
      const store = openStore(adapter.location());
      try {
        await store.beginRun({
          id: "nul",
          kind: "experiment",
          title: "a\0b",
          source: "s\0",
          startedAt: new Date().toISOString(),
        });
        const run = await store.getRun("nul");
        assert.equal(run?.title, "a\uFFFDb");
        assert.equal(run?.source, "s\uFFFD");
        assert.deepEqual(
          (await store.listRuns({ search: "\0" })).map((r) => r.id),
          ["nul"],
        );
        assert.equal(await store.countRuns({ search: "a\0b" }), 1);
        assert.equal(await store.getRun("nu\0"), undefined);
      } finally {
        await store.close();
      }
    });

    it("ends an interrupted run at its runner's last sign of life, not at its last event", async () => {
      const location = adapter.location();
      const store = openStore(location);
      try {
        // The runner records one event at its start, then lives on, silent, for 2.5 s before it is killed.
        const child = inChild(
          location,
          `const startedAt = new Date().toISOString();
await store.beginRun({ id: "quiet", kind: "experiment", title: "t", source: "s", startedAt });
await store.appendEvent({ type: "warning", runId: "quiet", ts: new Date().toISOString(), message: "first" });
console.log("begun");
setTimeout(() => console.log("silent"), 2500);
setInterval(() => {}, 1000);`,
        );
        let out = "";
        await new Promise<void>((resolve) =>
          child.stdout?.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("silent")) resolve();
          }),
        );
        child.kill("SIGKILL");
        await new Promise((r) => child.on("close", r));
        await until(
          async () => (await store.getRun("quiet"))?.status === "interrupted",
          15_000,
          "interrupted",
        );
        const run = await store.getRun("quiet");
        const ran = Date.parse(run?.endedAt ?? "") - Date.parse(run?.startedAt ?? "");
        // Its heartbeat (every second) said it was alive for most of the 2.5 s.
        assert.ok(ran >= 1000, `ended ${ran} ms after its start, though its runner lived 2.5 s`);
      } finally {
        await store.close();
      }
    });

    it("takes concurrent writers in separate processes without losing or reordering a row", async () => {
      const location = adapter.location();
      const writers = 4;
      const events = 150;
      const children = Array.from({ length: writers }, (_, w) =>
        inChild(
          location,
          `const id = "writer-${w}";
await store.beginRun({ id, kind: "load", title: id, source: "s", startedAt: new Date().toISOString() });
for (let i = 0; i < ${events}; i++) {
  await store.appendEvent({ type: "warning", runId: id, ts: new Date().toISOString(), message: String(i) });
  if (i % 10 === 0) await store.appendWindow(id, "load", { start: i, end: i + 1, count: 0, errors: 0, errorClasses: {}, statusCodes: {}, latency: "", service: "", dropped: 0, late: 0, labels: {} });
}
await store.finishRun(id, { status: "completed", deviated: false, outcome: "passed", exitCode: 0, endedAt: new Date().toISOString(), durationMs: 1, result: null });
await store.close();`,
        ),
      );
      const codes = await Promise.all(children.map((c) => new Promise((r) => c.on("close", r))));
      assert.deepEqual(codes, Array(writers).fill(0));
      const store = openStore(location);
      try {
        assert.equal(await store.countRuns({ status: "completed" }), writers);
        for (let w = 0; w < writers; w++) {
          const run = await store.getRun(`writer-${w}`);
          assert.deepEqual(
            run?.events.map((e) => (e.type === "warning" ? Number(e.message) : -1)),
            Array.from({ length: events }, (_, i) => i),
          );
          assert.equal(run?.windows.length, events / 10);
        }
      } finally {
        await store.close();
      }
    });
  });
}
