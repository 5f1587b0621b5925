import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { listFaults } from "../../src/safety/state.js";
import { runCli } from "../helpers/cli.js";
import { writeExperiment } from "../helpers/experiments.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { childrenOf, exited, startVictim, stateOf, until } from "../helpers/processes.js";

const { dir, env } = isolatedEnv();
const victims: ReturnType<typeof startVictim>[] = [];
after(() => {
  for (const v of victims) v.kill("SIGKILL");
});

const experiment = (name: string, method: unknown[]) => writeExperiment(dir, name, method);

describe("process faults on real processes", () => {
  it("kills the one process listening on a port", async () => {
    const server = await startServer(() => undefined);
    // The server lives in this test process, which is the runner's ancestor: withstand must refuse it.
    const refused = await runCli(
      [
        "run",
        experiment("kill-self", [
          { type: "action", name: "k", fault: { kind: "process-kill", select: { port: server.port } } },
        ]),
      ],
      { env },
    );
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /kill-self\.json:\d+:\d+: fault\.select: the process listening on port \d+ matched no process except protected processes \(pid 1, withstand itself or its ancestors: \d+\)/,
    );
    await server.close();

    const victim = startVictim("withstand-kill-victim");
    victims.push(victim);
    const r = await runCli(
      [
        "run",
        experiment("kill", [
          {
            type: "action",
            name: "k",
            fault: {
              kind: "process-kill",
              select: { command: "withstand-kill-victim" },
              mode: "all",
              signal: "SIGTERM",
            },
          },
        ]),
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    await exited(victim);
    assert.equal(victim.signalCode, "SIGTERM");
    assert.match(r.stdout, /fault process-kill injected by k: process \d+ .*withstand-kill-victim/);
    // A kill has nothing to revert: it must not linger as an "active fault" for halt or the dashboard.
    assert.deepEqual(listFaults(env.WITHSTAND_STATE_DIR ?? ""), []);
  });

  it("pauses for a duration and resumes, and the method waits for the resume", async () => {
    const victim = startVictim("withstand-pause-victim");
    victims.push(victim);
    const pid = victim.pid ?? 0;
    const started = Date.now();
    const run = runCli(
      [
        "run",
        experiment("pause", [
          {
            type: "action",
            name: "freeze",
            fault: { kind: "process-pause", select: { pid }, duration: "1500ms" },
          },
        ]),
      ],
      { env },
    );
    await until(() => stateOf(pid) === "T", 5000, "the victim to be stopped");
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started >= 1400, "the run ended before the pause's duration");
    await until(() => stateOf(pid) !== "T", 2000, "the victim to resume");
    assert.match(r.stdout, /reverted: SIGCONT to \d+ \(duration 1500ms elapsed\)/);
  });

  it("hits a percentage of matching processes and refuses pid 1", async () => {
    const group = [
      startVictim("withstand-pct-victim"),
      startVictim("withstand-pct-victim"),
      startVictim("withstand-pct-victim"),
      startVictim("withstand-pct-victim"),
    ];
    victims.push(...group);
    const r = await runCli(
      [
        "run",
        experiment("pct", [
          {
            type: "action",
            name: "half",
            fault: {
              kind: "process-kill",
              select: { command: "withstand-pct-victim" },
              mode: "percent",
              value: 50,
            },
          },
        ]),
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    await until(
      () => group.filter((g) => g.exitCode !== null || g.signalCode !== null).length === 2,
      3000,
      "two of four victims to die",
    );
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(group.filter((g) => g.signalCode === "SIGKILL").length, 2);

    const one = await runCli(
      [
        "validate",
        experiment("pid1", [
          { type: "action", name: "x", fault: { kind: "process-kill", select: { pid: 1 } } },
        ]),
      ],
      { env },
    );
    assert.equal(one.code, 2);
    assert.match(
      one.stderr,
      /pid1\.json:\d+:\d+: spec\.method\[0\]\.fault\.select\.pid: refusing to touch pid 1/,
    );
  });

  it("never selects kernel threads: a selector that matches only them matched no process (exit 2)", async (t) => {
    // Kernel threads are kthreadd's (pid 2) children: its own list, not a scan of every process.
    const kernelThreads = childrenOf(2).filter((p) => {
      try {
        const flags = Number(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.split(" ")[6]);
        return (flags & 0x00200000) !== 0 && readFileSync(`/proc/${p}/comm`, "utf8").startsWith("kworker");
      } catch {
        return false;
      }
    });
    if (kernelThreads.length === 0) return t.skip("no kworker threads are visible in this pid namespace");
    const { dir, env } = isolatedEnv();
    const file = writeExperiment(dir, "kthreads", [
      {
        type: "action",
        name: "freeze-kworkers",
        fault: { kind: "process-pause", select: { command: "kworker" }, mode: "all" },
      },
    ]);
    const r = await runCli(["run", file], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /fault\.select: command "kworker" matched no process/);
  });

  it("lists what a dry run would hit and touches nothing", async () => {
    const victim = startVictim("withstand-dry-victim");
    victims.push(victim);
    const r = await runCli(
      [
        "run",
        "--dry-run",
        "--json",
        experiment("dry", [
          {
            type: "action",
            name: "k",
            fault: { kind: "process-kill", select: { command: "withstand-dry-victim" }, mode: "all" },
          },
        ]),
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(!events.some((e) => e.type === "fault-injected"));
    // Untouched: neither stopped (T) nor gone; it may be sleeping or, for a moment, running.
    assert.ok(
      ["S", "R"].includes(stateOf(victim.pid ?? 0) ?? ""),
      `victim state ${stateOf(victim.pid ?? 0)}`,
    );
    assert.equal(victim.exitCode, null);
    const dry = events.find((e) => e.type === "activity-finished");
    assert.equal(dry?.status, "succeeded");
    assert.match(
      dry?.detail ?? "",
      new RegExp(`would process-kill all of 1 matching: process ${victim.pid} .*withstand-dry-victim`),
    );
    // A dry run records nothing, so it shows no run id to look up.
    const plain = await runCli(
      [
        "run",
        "--dry-run",
        experiment("dry-plain", [
          { type: "action", name: "noop", provider: { type: "process", path: "true" } },
        ]),
      ],
      { env },
    );
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^withstand run \(dry run, not recorded\): dry-plain$/m);
    assert.match(plain.stdout, /\(dry run, not recorded, exit 0\)/);
    assert.doesNotMatch(plain.stdout, /\d{8}-\d{6}-[0-9a-f]{6}/);
  });

  it("says clearly when a selector matches nothing, with the file position", async () => {
    const r = await runCli(
      [
        "run",
        experiment("none", [
          {
            type: "action",
            name: "k",
            fault: { kind: "process-pause", select: { command: "no-such-process-xyz" } },
          },
        ]),
      ],
      { env },
    );
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^withstand: error WS_TARGET_NO_MATCH: .*none\.json:\d+:\d+: fault\.select: command "no-such-process-xyz" matched no process/m,
    );
  });
});
