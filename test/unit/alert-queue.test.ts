import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AlertQueue } from "../../src/checks/alert-queue.js";
import type { AlertMessage } from "../../src/checks/alerts.js";

const alert = (id: string): AlertMessage => ({
  version: "withstand.alert/v1",
  status: "firing",
  system: { code: "s", name: "s" },
  check: {
    id,
    name: id,
    kind: "goss",
    severity: 1,
    businessImpact: "",
    technicalSummary: "",
    panicGuide: "",
    checkOutput: "",
    lastUpdated: null,
  },
  startsAt: new Date(0).toISOString(),
  reminder: 0,
  healthUrl: "",
});

describe("alert queue", () => {
  it("keeps the newest alerts up to its capacity, counts the dropped ones and keeps them across a restart", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "withstand-aq-")), "q", "alerts.json");
    const tried: string[] = [];
    let failed!: () => void;
    const firstFailure = new Promise<void>((r) => {
      failed = r;
    });
    const down = new AlertQueue({
      file,
      capacity: 3,
      baseBackoffMs: 60_000,
      deliver: async (m) => {
        tried.push(m.check.id);
        throw new Error("HTTP 500");
      },
      onError: () => failed(),
    });
    for (const id of ["a", "b", "c", "d", "e"]) down.enqueue(alert(id));
    await firstFailure;
    down.stop();
    const s = down.status();
    assert.equal(s.undelivered, 3);
    assert.equal(s.dropped, 2);
    assert.match(s.lastError ?? "", /HTTP 500/);

    const got: string[] = [];
    let drained!: () => void;
    const all = new Promise<void>((r) => {
      drained = r;
    });
    const up = new AlertQueue({
      file,
      capacity: 3,
      deliver: async (m) => {
        got.push(m.check.id);
        if (got.length === 3) queueMicrotask(drained);
      },
    });
    assert.equal(up.status().undelivered, 3, "the queue survived the restart");
    up.start();
    await all;
    assert.deepEqual(got, ["c", "d", "e"]);
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(up.status().undelivered, 0);
    up.stop();
  });
});
