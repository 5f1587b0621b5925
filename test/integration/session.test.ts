import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import type { RunEvent } from "../../src/core/events.js";
import { newWindow, recordSample, toStored } from "../../src/core/window.js";
import { RunSession } from "../../src/engine/session.js";
import { openStore } from "../../src/store/open.js";

it("a run session: windows are bus events stored as windows, teardowns run in reverse, failures are kept", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "withstand-session-")), "s.db");
  const session = await RunSession.open({ kind: "load", title: "t", source: "s" }, { store: path });
  const seen: RunEvent["type"][] = [];
  session.bus.on((e) => seen.push(e.type));
  const order: string[] = [];
  session.defer(() => {
    order.push("first registered");
  });
  session.defer(() => {
    order.push("last registered");
  });
  const w = newWindow(1000);
  recordSample(w, { latencyMicros: 500 });
  w.end = 2000;
  session.window("load", toStored(w));
  session.emit({ type: "warning", runId: session.runId, ts: new Date().toISOString(), message: "m" });
  await session.finish({
    status: "completed",
    deviated: false,
    outcome: "passed",
    exitCode: 0,
    endedAt: new Date().toISOString(),
    durationMs: 1,
    result: null,
  });
  await session.close();
  assert.deepEqual(seen, ["window", "warning"]);
  assert.deepEqual(order, ["last registered", "first registered"]);
  assert.deepEqual(session.failures(), []);
  const store = openStore(path);
  try {
    const run = await store.getRun(session.runId);
    assert.equal(run?.windows.length, 1, "the window event became a stored window");
    assert.deepEqual(
      run?.events.map((e) => e.type),
      ["warning"],
      "and not a stored event",
    );
  } finally {
    await store.close();
  }
});
