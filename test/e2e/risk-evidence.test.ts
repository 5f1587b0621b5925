import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events.js";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

/**
 * A risk catalogue citing game days: the detect and recover times their stored records measured replace
 * the guesses, only for the fault the risk is about, with every cited run named in the output.
 */
describe("withstand risk with game days as evidence", () => {
  it("prices a risk from the game days' measured times and names the runs that measured them", async () => {
    const { dir, env } = isolatedEnv();
    const storePath = join(dir, "store.db");
    const store = openStore(storePath);
    const DAY = 86_400_000;
    const now = Date.now();
    // Two game days: the pause was noticed after 90 s and 30 s, healthy again 120 s and 60 s after its
    // revert; a latency fault in the first was never noticed (another risk's).
    const gameDay = async (
      id: string,
      daysAgo: number,
      detectS: number,
      recoverS: number,
      extra: boolean,
    ) => {
      const t0 = now - daysAgo * DAY;
      const ts = (s: number) => new Date(t0 + s * 1000).toISOString();
      await store.beginRun({
        id,
        kind: "gameday",
        title: "Orders game day",
        source: "gd.yaml",
        startedAt: ts(-60),
      });
      const ev = (s: number, e: Record<string, unknown>) =>
        store.appendEvent({ runId: id, ts: ts(s), ...e } as RunEvent);
      await ev(0, {
        type: "fault-injected",
        faultId: `${id}-p`,
        kind: "process-pause",
        activity: "freeze",
        targets: [],
      });
      if (extra)
        await ev(1, {
          type: "fault-injected",
          faultId: `${id}-l`,
          kind: "latency",
          activity: "slow-db",
          targets: [],
        });
      await ev(detectS, { type: "stop-condition-tripped", condition: "orders-answer", value: "timeout" });
      await ev(detectS + 10, {
        type: "fault-reverted",
        faultId: `${id}-p`,
        kind: "process-pause",
        activity: "freeze",
        how: "stop",
      });
      if (extra)
        await ev(detectS + 11, {
          type: "fault-reverted",
          faultId: `${id}-l`,
          kind: "latency",
          activity: "slow-db",
          how: "stop",
        });
      await ev(detectS + 10 + recoverS, {
        type: "hypothesis-checked",
        phase: "hypothesis-after",
        met: true,
        title: "up",
      });
      await store.finishRun(id, {
        status: "completed",
        deviated: true,
        outcome: "stopped",
        exitCode: 3,
        endedAt: ts(detectS + 20 + recoverS),
        durationMs: 1000,
        result: {},
      });
    };
    await gameDay("gd-1", 10, 90, 120, true);
    await gameDay("gd-2", 3, 30, 60, false);
    await store.close();
    const file = join(dir, "risks.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: RiskCatalog
metadata: {name: orders}
spec:
  risks:
    - name: replica-freeze
      ttd: 10m
      ttr: 30m
      impact: 50%
      frequency: 12
      evidence: {gamedays: [Orders game day], fault: process-pause}
    - name: disk-full
      ttd: 20m
      ttr: 1h
      impact: 100%
      frequency: 1
      evidence: {gamedays: [Orders game day], fault: disk-fill}
`,
    );
    const r = await runCli(["risk", file, "--format", "json", "--store", storePath], { env });
    assert.equal(r.code, 0, r.stderr);
    type Prov = { kind: string; median?: number; worst?: number; runs?: number; undetected?: number };
    const out = JSON.parse(r.stdout) as {
      risks: {
        name: string;
        ttdMin: number;
        ttrMin: number;
        badMinutesPerYear: number;
        ttdFrom: Prov;
        ttrFrom: Prov;
        cites: { runId: string; faults: { kind: string; detectMin?: number; recoverMin?: number }[] }[];
      }[];
    };
    const freeze = out.risks.find((x) => x.name === "replica-freeze");
    assert.ok(freeze);
    // detect 1.5 and 0.5 min: median 1, worst 1.5; recover 2 and 1 min: median 1.5, worst 2
    assert.deepEqual(
      [
        freeze.ttdFrom.kind,
        freeze.ttdFrom.median,
        freeze.ttdFrom.worst,
        freeze.ttdFrom.runs,
        freeze.ttdFrom.undetected,
      ],
      ["measured", 1, 1.5, 2, 0],
    );
    assert.deepEqual(
      [freeze.ttrFrom.kind, freeze.ttrFrom.median, freeze.ttrFrom.worst],
      ["measured", 1.5, 2],
    );
    // (1 + 1.5) min × 50% × 12 a year, where the guesses gave (10 + 30) × 50% × 12 = 240
    assert.equal(freeze.badMinutesPerYear, 15);
    assert.deepEqual(
      freeze.cites
        .map((c): [string, unknown[]] => [c.runId, c.faults.map((f) => [f.kind, f.detectMin, f.recoverMin])])
        .sort((a, b) => a[0].localeCompare(b[0])),
      [
        ["gd-1", [["process-pause", 1.5, 2]]],
        ["gd-2", [["process-pause", 0.5, 1]]],
      ],
    );
    const disk = out.risks.find((x) => x.name === "disk-full");
    assert.equal(disk?.ttdFrom.kind, "guess");
    assert.deepEqual(disk?.cites, []);

    const md = await runCli(["risk", file, "--format", "md", "--store", storePath], { env });
    assert.equal(md.code, 0, md.stderr);
    assert.match(
      md.stdout,
      /\| replica-freeze \| 1m00s median, 1m30s worst \(measured in 2 runs, newest 3 d old\) \| 1m30s median, 2m00s worst .* \| 15\.0 \|\n/,
    );
    assert.match(
      md.stdout,
      /- \*\*replica-freeze\*\* is priced by:\n {2}- gameday "Orders game day" \(gd-\d, [\d-]+ [\d:]+\): process-pause freeze: detected in/,
    );
    assert.match(
      md.stdout,
      /- \*\*disk-full\*\* cites runs, but none injected its fault: its times are guesses/,
    );
  });
});
