/**
 * The monitor's schedule, heartbeats, staleness and alerts, on an injected clock: time is advanced,
 * never slept.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Alerter, type AlertMessage, MAX_ALERT_OUTPUT } from "../../src/checks/alerts.js";
import {
  aggregate,
  type CheckOutcome,
  type Clock,
  Heartbeat,
  Monitor,
  type MonitoredCheck,
} from "../../src/checks/monitor.js";

/** A clock whose timers fire only when the test advances it. */
class FakeClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown) {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  /** Moves time forward, firing due timers in order, and lets their promises settle. */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

function check(
  id: string,
  severity: 1 | 2 | 3,
  intervalMs: number,
  run: () => Promise<CheckOutcome>,
): MonitoredCheck {
  return {
    id,
    name: id,
    kind: "goss",
    severity,
    businessImpact: "",
    technicalSummary: "",
    panicGuide: "",
    intervalMs,
    run,
  };
}

function setup(
  checks: MonitoredCheck[],
  clock: FakeClock,
  alerterOpts: Partial<ConstructorParameters<typeof Alerter>[0]> = {},
) {
  const sent: AlertMessage[] = [];
  const alerter = new Alerter({
    system: { code: "sys", name: "System" },
    healthUrl: "http://127.0.0.1/__health",
    severity: 1,
    failureThreshold: 1,
    repeatMs: 0,
    send: (m) => sent.push(m),
    ...alerterOpts,
  });
  const monitor = new Monitor(checks, {
    clock,
    tickMs: 1000,
    onTick: (states, all) => alerter.observe(states, all, clock.now()),
  });
  return { monitor, sent };
}

describe("monitor", () => {
  it("fires a heartbeat alert within its grace plus one scheduler tick, once, and resolves on the next ping", async () => {
    const clock = new FakeClock();
    const beat = new Heartbeat(60_000, 30_000, clock);
    const hb = check("nightly-backup", 1, 1000, async () => beat.outcome("ping"));
    const { monitor, sent } = setup([hb], clock);
    monitor.start();
    await clock.advance(90_000);
    assert.equal(sent.length, 0, "not late before period + grace");
    // The deadline passes at 90 s; the next tick (1 s) must fire it.
    await clock.advance(1000 + 1);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.status, "firing");
    assert.equal(sent[0]?.check.id, "nightly-backup");
    await clock.advance(120_000);
    assert.equal(sent.length, 1, "one alert while it stays late, not one per tick");
    beat.ping();
    await clock.advance(1000);
    assert.deepEqual(
      sent.map((m) => m.status),
      ["firing", "resolved"],
    );
    await monitor.stop();
  });

  it("an alert carries at most MAX_ALERT_OUTPUT characters of a check's output, and says it cut the rest", async () => {
    const clock = new FakeClock();
    const huge = "x".repeat(5 * 1024 * 1024);
    const run = async () => ({ ok: false, output: huge, durationMs: 5 });
    const { monitor, sent } = setup([check("noisy", 1, 10_000, run)], clock);
    monitor.start();
    await clock.advance(1000);
    assert.equal(sent.length, 1);
    const out = sent[0]?.check.checkOutput ?? "";
    assert.ok(out.length < MAX_ALERT_OUTPUT + 200, `${out.length} characters`);
    assert.match(out, /truncated: \d+ more characters on the health page/);
    assert.ok(JSON.stringify(sent[0]).length < 10_000);
    await monitor.stop();
  });

  it("alerts only for severity 1 by default, once per incident, with reminders only when asked", async () => {
    const clock = new FakeClock();
    let up = true;
    const run = async () => ({ ok: up, output: up ? "fine" : "down", durationMs: 5 });
    const { monitor, sent } = setup([check("orders", 1, 10_000, run), check("disk", 2, 10_000, run)], clock, {
      repeatMs: 60_000,
    });
    monitor.start();
    await clock.advance(1000);
    up = false;
    await clock.advance(30_000);
    assert.deepEqual(
      sent.map((m) => `${m.status} ${m.check.id}`),
      ["firing orders"],
    );
    await clock.advance(60_000);
    assert.equal(sent.filter((m) => m.status === "firing").length, 2, "one reminder after --repeat");
    assert.equal(sent.at(-1)?.reminder, 1);
    up = true;
    await clock.advance(11_000);
    assert.equal(sent.at(-1)?.status, "resolved");
    await monitor.stop();
  });

  it("an acknowledgement silences a failing check until it recovers; a failure threshold waits for N failures", async () => {
    const clock = new FakeClock();
    let up = true;
    const c = check("orders", 1, 10_000, async () => ({ ok: up, output: "x", durationMs: 1 }));
    const { monitor, sent } = setup([c], clock, { failureThreshold: 2, repeatMs: 5000 });
    monitor.start();
    await clock.advance(1000);
    up = false;
    await clock.advance(10_000);
    assert.equal(sent.length, 0, "one failure is below the threshold");
    monitor.acknowledge("orders", "alice", "on it");
    await clock.advance(60_000);
    assert.equal(sent.length, 0, "acknowledged: no alert, no reminder");
    up = true;
    await clock.advance(10_000);
    assert.equal(sent.length, 0, "nothing fired, so nothing resolves");
    assert.equal(monitor.state("orders")?.ack, undefined, "recovery clears the acknowledgement");
    up = false;
    await clock.advance(20_000);
    assert.equal(sent.length, 1, "a new incident alerts again");
    await monitor.stop();
  });

  it("reports a check that hangs as not run recently, and aggregates to the worst failing severity", async () => {
    const clock = new FakeClock();
    const hang = check("hangs", 2, 10_000, () => new Promise<CheckOutcome>(() => undefined));
    const fine = check("fine", 1, 10_000, async () => ({ ok: true, output: "ok", durationMs: 1 }));
    const { monitor } = setup([hang, fine], clock);
    monitor.start();
    await clock.advance(5000);
    assert.equal(monitor.view("fine")?.ok, true);
    await clock.advance(10_000);
    assert.equal(monitor.view("hangs")?.ok, false);
    assert.equal(monitor.view("hangs")?.output, "Check has not run recently");
    assert.deepEqual(aggregate(monitor.checks, monitor.views()), { ok: false, severity: 2 });
    void monitor.stop();
  });

  it("a check that throws is a failed result, not a crash", async () => {
    const clock = new FakeClock();
    const bad = check("bad", 3, 10_000, async () => {
      throw new Error("boom");
    });
    const monitor = new Monitor([bad], { clock, onError: () => undefined });
    monitor.start();
    await clock.advance(1);
    assert.equal(monitor.view("bad")?.ok, false);
    assert.equal(monitor.view("bad")?.output, "Healthcheck failed to execute");
    await monitor.stop();
  });
});
