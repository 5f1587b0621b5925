import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../../src/proxy/listen.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { INTERVAL_MS, writeGameDay } from "../helpers/gameday.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";
import { exited, startTarget, stateOf, until } from "../helpers/processes.js";

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops) await s().catch(() => undefined);
});

async function target() {
  const t = await startTarget();
  const pid = t.child.pid ?? 0;
  stops.push(async () => {
    try {
      process.kill(pid, "SIGCONT");
    } catch {}
    await t.stop();
  });
  return { ...t, pid };
}

interface Ev {
  type: string;
  ts: string;
  [k: string]: unknown;
}

describe("withstand gameday", () => {
  it("validate reads a GameDay and names a bad step at file:line:col", async () => {
    const { dir, env } = isolatedEnv();
    const t = await target();
    const file = writeGameDay(dir, t.url, t.pid);
    const ok = await runCli(["validate", file], { env });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /valid withstand GameDay "Orders game day" \(3 steps, 1 stop conditions/);
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      `apiVersion: withstand/v1
kind: GameDay
spec:
  title: x
  steps:
    - file: missing.yaml
  stopConditions:
    - {prometheus: "http://127.0.0.1:9", expr: "up == 0"}
  interval: soon
`,
    );
    const r = await runCli(["validate", bad], { env });
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /bad\.yaml:9:\d+: spec\.interval/);
    const dry = await runCli(["gameday", file, "--dry-run"], { env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /2\. freeze/);
    assert.match(dry.stdout, /orders-answer: probe http .*trips when it fails/);
  });

  it("the second step trips a stop condition: reverted within one interval, the third never starts, all on the timeline", async () => {
    const { dir, env } = isolatedEnv();
    const t = await target();
    const file = writeGameDay(dir, t.url, t.pid);
    const runner = startCli(["gameday", file], { env });
    const done = finished(runner);
    // Notes are taken while step 1 waits for the test's go.
    await waitForOutput(runner, /step 1\/3/);
    const note = await runCli(
      ["gameday", "note", "the dashboard went red", "--author", "dee", "--kind", "good"],
      {
        env,
      },
    );
    assert.equal(note.code, 0, note.stderr);
    const action = await runCli(
      ["gameday", "note", "page on frozen orders sooner", "--kind", "action", "--author", "ana"],
      { env },
    );
    assert.equal(action.code, 0, action.stderr);
    writeFileSync(join(dir, "go"), "");
    const r = await done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /STOP CONDITION orders-answer tripped/);
    assert.match(r.stdout, /^STOPPED: /m);
    // The server runs again long before the fault's 60 s duration: the stop reverted it.
    assert.notEqual(stateOf(t.pid), "T");
    assert.equal(existsSync(join(dir, "third-step-ran")), false, "the third step ran");

    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
      runs: { id: string; kind: string; outcome: string }[];
    };
    const gd = runs.runs.find((x) => x.kind === "gameday");
    assert.ok(gd);
    assert.equal(gd.outcome, "stopped");
    // Two steps ran, each its own run; the third was never started.
    assert.equal(runs.runs.filter((x) => x.kind === "experiment").length, 2);
    const shown = JSON.parse((await runCli(["runs", "show", gd.id, "--json"], { env })).stdout) as {
      events: Ev[];
      result: { tripped: { revertedMs: number; allReverted: boolean }; steps: { outcome: string }[] };
    };
    const types = shown.events.map((e) => e.type);
    for (const type of [
      "step-started",
      "step-finished",
      "fault-injected",
      "fault-reverted",
      "stop-condition-tripped",
      "stop-reverted",
      "note",
    ])
      assert.ok(types.includes(type), `no ${type} on the timeline: ${types.join(",")}`);
    assert.equal(shown.events.filter((e) => e.type === "step-started").length, 2);
    const noteEv = shown.events.find((e) => e.type === "note");
    assert.equal(noteEv?.author, "dee");
    assert.equal(noteEv?.tag, "good");
    const tripped = shown.result.tripped;
    assert.ok(tripped.allReverted);
    // Measured, not asserted in absolute terms: within one evaluation interval.
    assert.ok(tripped.revertedMs <= INTERVAL_MS, `reverted ${tripped.revertedMs} ms after the trip`);
    assert.deepEqual(
      shown.result.steps.map((s) => s.outcome),
      ["held", "halted", "not-started"],
    );

    const md = await runCli(["report", gd.id, "--format", "md"], { env });
    assert.equal(md.code, 0, md.stderr);
    for (const text of [
      "# Game day: Orders game day",
      "| owner | ana |",
      "fault process-pause injected by freeze",
      "fault process-pause reverted",
      "stop condition orders-answer tripped",
      `everything reverted **${tripped.revertedMs} ms** later`,
      "note by dee [good]: the dashboard went red",
      "- the dashboard went red (dee)",
      "- [ ] page on frozen orders sooner (ana",
      "| 3 | never.yaml | - | not-started |",
    ])
      assert.ok(md.stdout.includes(text), `the report lacks ${JSON.stringify(text)}:\n${md.stdout}`);
    // Every fault's detect time is in the report.
    assert.match(md.stdout, /\| process-pause \| freeze \| [^|]+ \| \d+ ms \|/);
    const actions = await runCli(["gameday", "actions", gd.id, "--format", "json"], { env });
    assert.deepEqual(
      (JSON.parse(actions.stdout) as { items: { title: string; author: string }[] }).items.map((i) => [
        i.title,
        i.author,
      ]),
      [["page on frozen orders sooner", "ana"]],
    );

    const times = await runCli(["gameday", "times", "Orders game day", "--json"], { env });
    assert.equal(times.code, 0, times.stderr);
    const tj = JSON.parse(times.stdout) as { runs: number; faults: number; detect: { samples: number } };
    assert.equal(tj.runs, 1);
    assert.equal(tj.faults, 1);
    assert.equal(tj.detect.samples, 1);
  });

  it("a SIGKILLed game day leaves nothing: the watchdog resumes the paused server", async () => {
    const { dir, env } = isolatedEnv();
    const t = await target();
    const file = writeGameDay(dir, t.url, t.pid);
    // No stop condition can trip here: the fault is held until the runner dies.
    writeFileSync(
      file,
      (await import("node:fs"))
        .readFileSync(file, "utf8")
        .replace(/ {2}stopConditions:[\s\S]*?interval/, "  interval"),
    );
    writeFileSync(join(dir, "go"), "");
    const runner = startCli(["gameday", file], { env });
    const done = finished(runner);
    await waitForOutput(runner, /fault process-pause injected/);
    await until(() => stateOf(t.pid) === "T", 2000, "the server to be stopped");
    runner.kill("SIGKILL");
    await done;
    await until(() => stateOf(t.pid) !== "T", 5000, "the watchdog to resume the server");
    const state = join(dir, "state");
    await until(
      () =>
        !existsSync(state) ||
        readdirSync(state, { recursive: true }).filter((f) => String(f).endsWith(".json")).length === 0,
      5000,
      "the safety state to be empty",
    );
    const halt = await runCli(["halt"], { env });
    assert.match(halt.stdout, /no active faults or runs/);
  });

  it("withstand halt stops a game day like any run: the fault reverts, later steps never start, exit 3", async () => {
    const { dir, env } = isolatedEnv();
    const t = await target();
    const file = writeGameDay(dir, t.url, t.pid);
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(/ {2}stopConditions:[\s\S]*?interval/, "  interval"),
    );
    writeFileSync(join(dir, "go"), "");
    const runner = startCli(["gameday", file], { env });
    const done = finished(runner);
    await waitForOutput(runner, /fault process-pause injected/);
    await until(() => stateOf(t.pid) === "T", 2000, "the server to be stopped");
    const halt = await runCli(["halt"], { env });
    assert.equal(halt.code, 0, halt.stdout + halt.stderr);
    const r = await done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /^HALTED: /m);
    // A note after the end is refused, never silently lost.
    const id = /\(run ([\w-]+)\)\n$/.exec(r.stdout)?.[1] ?? "";
    const late = await runCli(["gameday", "note", "too late", "--run", id], { env });
    assert.equal(late.code, 2, late.stdout + late.stderr);
    assert.match(late.stderr, /has ended \(aborted\); notes are taken while it runs/);
    await until(() => stateOf(t.pid) !== "T", 2000, "the server to resume");
    assert.equal(existsSync(join(dir, "third-step-ran")), false, "the third step ran");
  });

  it("a Prometheus expression with a result trips (a real Prometheus): the step stops, the next never starts", async () => {
    const { dir, env } = isolatedEnv();
    const t = await target();
    const port = await freePort();
    const promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ["127.0.0.1:${port}"]}]\n`,
    );
    const prometheus = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    stops.push(async () => {
      prometheus.kill("SIGTERM");
      await exited(prometheus);
    });
    const file = writeGameDay(dir, t.url, t.pid);
    // Step 1 waits for a go that never comes; Prometheus scraping itself makes the expression non-empty.
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        /( {2}stopConditions:\n)[\s\S]*?( {2}interval)/,
        `$1    - {name: self-up, prometheus: "${promUrl}", expr: 'up{job="self"} == 1'}\n$2`,
      ),
    );
    const r = await runCli(["gameday", file], { env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /STOP CONDITION self-up tripped: \[\{"metric":\{"__name__":"up"/);
    assert.match(r.stdout, /step 1 warmup\.yaml: halted/);
    assert.doesNotMatch(r.stdout, /step 2\/3/);
  });

  it("an SLO's burn-rate page alert trips on the load a step records: the load stops long before its duration", async () => {
    const { dir, env } = isolatedEnv();
    const t = await startTarget(["--fail-every", "2"]);
    stops.push(() => t.stop());
    writeFileSync(
      join(dir, "load.yaml"),
      `apiVersion: withstand/v1\nkind: LoadTest\nmetadata: {name: half-failing}\nspec:\n  url: ${t.url}/\n  rate: 50/s\n  duration: 60s\n`,
    );
    writeFileSync(join(dir, "never.yaml"), readFileSync(join(dir, "load.yaml"), "utf8"));
    const file = join(dir, "gameday.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: GameDay
spec:
  title: budget burn
  steps:
    - file: load.yaml
    - {name: never, file: never.yaml}
  stopConditions:
    - {name: orders-page, slo: ${fixture("slo", "withstand-windows.yaml")}, alert: page}
  interval: 1s
`,
    );
    const r = await runCli(["gameday", file], { env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /STOP CONDITION orders-page tripped: load-availability: burn \d+/);
    assert.doesNotMatch(r.stdout, /step 2\/2/);
    const runs = JSON.parse((await runCli(["runs", "--json", "--kind", "load"], { env })).stdout) as {
      runs: { outcome: string; durationMs: number }[];
    };
    assert.equal(runs.runs.length, 1);
    assert.equal(runs.runs[0]?.outcome, "halted");
    assert.ok((runs.runs[0]?.durationMs ?? 0) < 60_000, "the load ran its whole duration");
    const id = /\(run ([\w-]+)\)\n$/.exec(r.stdout)?.[1] ?? "";
    const md = await runCli(["report", id, "--format", "md"], { env });
    // Half the requests failed against a 99 % objective: the game day burnt budget, and the report says how much.
    const row = /\| load-availability \| availability \| ([\d.]+) % \| (\d+) \|/.exec(md.stdout);
    assert.ok(row, md.stdout);
    assert.ok(Number(row[1]) > 0 && Number(row[2]) > 0, row[0]);
  });
});
