/**
 * Flag flips a game day makes are undone by its one lever: a tripped stop condition reverts them before
 * the run ends, and a SIGKILLed runner's flip does not outlive it (its lease runs out, the watchdog
 * releases it). Against the real `withstand flags serve`.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { finished, startCli, waitForOutput } from "../helpers/cli.js";
import { type FlagsServer, ofrep, startFlags, TOKEN } from "../helpers/flags.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, until } from "../helpers/processes.js";

let flags: FlagsServer;
let healthy = true;
const health = createServer((_req, res) => {
  res.writeHead(healthy ? 200 : 503).end(healthy ? "ok" : "down");
});
let healthUrl = "";
before(async () => {
  const { dir, env } = isolatedEnv();
  flags = await startFlags(dir, env);
  await new Promise<void>((r) => health.listen(0, "127.0.0.1", r));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/`;
});
after(async () => {
  await flags?.stop();
  health.close();
});

const variant = async () =>
  (await ofrep(flags.url, "/ofrep/v1/evaluate/flags/recommendations", { context: {} })).body?.variant;

/** A game day whose first step switches recommendations off for a minute; the second must never start. */
function gameDay(dir: string): string {
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: recommendations off
  steps:
    - name: switch recommendations off
      experiment:
        method:
          - type: action
            name: recommendations-off
            fault: {kind: flag, server: "${flags.url}", flag: recommendations, variant: "off", duration: 60s}
    - name: never
      experiment:
        method:
          - type: probe
            name: never
            provider: {type: http, url: "${healthUrl}"}
  stopConditions:
    - type: probe
      name: shop-healthy
      provider: {type: http, url: "${healthUrl}", timeout: 1}
      tolerance: 200
  interval: 500ms
`,
  );
  return file;
}

describe("game day flag flips", () => {
  it("a tripped stop condition undoes the game day's flag flip before the run ends", async () => {
    const { dir, env } = isolatedEnv();
    healthy = true;
    const runner = startCli(["gameday", gameDay(dir), "--json"], {
      env: { ...env, WITHSTAND_FLAGS_TOKEN: TOKEN },
    });
    const done = finished(runner);
    await waitForOutput(runner, /"type":"fault-injected"/);
    assert.equal(await variant(), "off", "the step switched the flag");
    healthy = false;
    const r = await done;
    healthy = true;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /"type":"stop-condition-tripped"[^\n]*"condition":"shop-healthy"/);
    assert.match(r.stdout, /"type":"fault-reverted"[^\n]*"kind":"flag"/);
    assert.doesNotMatch(r.stdout, /"type":"step-started"[^\n]*"step":2/);
    // The step's run ends only once its flip is undone, and the measured time covers that revert.
    const events = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { type: string; ts: string; [k: string]: unknown });
    const trip = events.find((e) => e.type === "stop-condition-tripped");
    const undone = events.findIndex((e) => e.type === "fault-reverted" && e.kind === "flag");
    const stepEnd = events.findIndex((e) => e.type === "step-finished" && e.step === 1);
    assert.ok(undone >= 0 && undone < stepEnd, "the step finished before its flip was undone");
    const reverted = events.find((e) => e.type === "stop-reverted");
    assert.ok(
      Number(reverted?.revertedMs) >= Date.parse(events[undone]?.ts ?? "") - Date.parse(trip?.ts ?? ""),
      `stop-to-reverted ${String(reverted?.revertedMs)} ms is shorter than the flip's revert`,
    );
    // Undone when the run ended, not later by a lease running out.
    assert.equal(await variant(), "on");
  });

  it("a SIGKILLed game day runner leaves no flag flipped", async () => {
    const { dir, env } = isolatedEnv();
    healthy = true;
    const runner = startCli(["gameday", gameDay(dir), "--json"], {
      env: { ...env, WITHSTAND_FLAGS_TOKEN: TOKEN },
    });
    await waitForOutput(runner, /"type":"fault-injected"/);
    assert.equal(await variant(), "off");
    runner.kill("SIGKILL");
    await exited(runner);
    await until(async () => (await variant()) === "on", 10_000, "the flip to be undone after the SIGKILL");
  });
});
