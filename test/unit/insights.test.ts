import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  anomalies,
  DEFAULT_ANOMALY,
  detect,
  explain,
  type Point,
  WEEKLY_AVERAGE_PRESET,
} from "../../src/core/anomaly.js";
import {
  type DeploymentRecord,
  dora,
  doraDistributions,
  failureBucket,
  frequency,
  leadTimeBucket,
  medianCont,
  recoveryBucket,
} from "../../src/core/dora.js";
import { faultTimes } from "../../src/core/incident-times.js";
import {
  badMinutesPerYear,
  distribution,
  measuredTimes,
  rankRisks,
  whatIf,
  yearlyBudgetMinutes,
} from "../../src/core/risk.js";
import { seeded } from "../../src/core/stats.js";

describe("risk catalogue", () => {
  const risks = [
    // (30 + 90) min × 100% × 365.25 / 91.3125 = 480 bad minutes a year
    { name: "bad deploy", ttdMin: 30, ttrMin: 90, impact: 1, tbfDays: 91.3125 },
    // (5 + 25) × 0.5 × 365.25 / 365.25 = 15
    { name: "zone outage", ttdMin: 5, ttrMin: 25, impact: 0.5, tbfDays: 365.25 },
    // (60 + 60) × 0.1 × 365.25 / 30.4375 = 144
    { name: "cert expiry", ttdMin: 60, ttrMin: 60, impact: 0.1, tbfDays: 30.4375 },
  ];
  it("prices each risk in bad minutes a year and its share of each SLO's yearly budget, stack-ranked", () => {
    const table = rankRisks(risks, [
      { name: "99.9", target: 0.999 },
      { name: "99.95", target: 0.9995 },
    ]).map((r) => [
      r.rank,
      r.name,
      Number(r.badMinutesPerYear.toFixed(6)),
      r.shares.map((s) => Number(s.share.toFixed(4))),
      r.shares.map((s) => s.overLimit),
    ]);
    // budgets: 525.96 and 262.98 minutes a year
    assert.equal(yearlyBudgetMinutes(0.999).toFixed(2), "525.96");
    assert.deepEqual(table, [
      [1, "bad deploy", 480, [0.9126, 1.8252], [true, true]],
      [2, "cert expiry", 144, [0.2738, 0.5476], [true, true]],
      [3, "zone outage", 15, [0.0285, 0.057], [false, false]],
    ]);
  });
  it("flags against a configurable share", () => {
    const r = rankRisks(risks, [{ name: "99.9", target: 0.999 }], 0.3);
    assert.deepEqual(
      r.map((x) => x.shares[0]?.overLimit),
      [true, false, false],
    );
  });
  it("answers what-ifs: a canary caps the impact, faster detection or repair shortens the outage", () => {
    const bad = risks[0];
    assert.ok(bad);
    assert.deepEqual(whatIf(bad, "canary:5%", [{ kind: "canary", share: 0.05 }]), {
      risk: "bad deploy",
      mitigation: "canary:5%",
      before: 480,
      after: 24,
      saved: 456,
    });
    assert.equal(
      whatIf(bad, "detect:2m", [{ kind: "detect", minutes: 2 }]).after,
      badMinutesPerYear({ ...bad, ttdMin: 2 }),
    );
    assert.equal(Math.round(whatIf(bad, "repair:10m", [{ kind: "repair", minutes: 10 }]).after), 160);
  });
  it("reports measured times as distributions: median, p90 and worst, never a mean", () => {
    const d = distribution([4, 1, 3, 2, 100]);
    assert.deepEqual({ ...d, p90: d?.p90.toFixed(1) }, { median: 3, p90: "61.6", worst: 100 });
    assert.equal(distribution([]), undefined);
  });
});

describe("a risk's measured times from the runs it cites", () => {
  const ts = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const run = (id: string, detect: number | undefined) => ({
    id,
    kind: "gameday",
    title: "gd",
    startedAt: ts(0),
    events: [
      {
        runId: id,
        ts: ts(0),
        type: "fault-injected",
        faultId: "p",
        kind: "process-pause",
        activity: "freeze",
        targets: [],
      },
      {
        runId: id,
        ts: ts(1),
        type: "fault-injected",
        faultId: "l",
        kind: "latency",
        activity: "slow",
        targets: [],
      },
      ...(detect === undefined
        ? []
        : [{ runId: id, ts: ts(detect), type: "stop-condition-tripped", condition: "c", value: "v" }]),
    ] as Parameters<typeof faultTimes>[0],
  });
  it("takes only the cited fault's injections, counts the undetected ones, and cites only runs that injected it", () => {
    const m = measuredTimes([run("a", 120), run("b", undefined)], "process-pause");
    assert.deepEqual(m.ttd, {
      kind: "measured",
      median: 2,
      worst: 2,
      runs: 2,
      oldest: ts(0),
      newest: ts(0),
      undetected: 1,
    });
    assert.equal(m.ttr, undefined, "nothing was reverted: no time to recover, the guess stays");
    assert.deepEqual(
      m.cites.map((c) => c.runId),
      ["a", "b"],
    );
    assert.deepEqual(measuredTimes([run("a", 120)], "disk-fill").cites, []);
    // without a filter every injection counts: the latency fault was detected 119 s after it began
    const all = measuredTimes([run("a", 120)]);
    assert.equal(all.ttd?.kind === "measured" ? all.ttd.median : undefined, (2 + 119 / 60) / 2);
  });
});

describe("time to detect and time to recover from a run's events", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const base = { runId: "r" };
  it("measures injection → first failing check and revert → first passing check after it", () => {
    const events = [
      { ...base, ts: at(0), type: "hypothesis-checked", phase: "during", met: true, title: "h" },
      {
        ...base,
        ts: at(10),
        type: "fault-injected",
        faultId: "f1",
        kind: "process-kill",
        activity: "kill",
        targets: [],
      },
      { ...base, ts: at(12), type: "hypothesis-checked", phase: "during", met: true, title: "h" },
      { ...base, ts: at(14), type: "hypothesis-checked", phase: "during", met: false, title: "h" },
      {
        ...base,
        ts: at(20),
        type: "fault-reverted",
        faultId: "f1",
        kind: "process-kill",
        activity: "kill",
        how: "signal",
      },
      { ...base, ts: at(22), type: "hypothesis-checked", phase: "during", met: false, title: "h" },
      { ...base, ts: at(27), type: "hypothesis-checked", phase: "during", met: true, title: "h" },
    ] as Parameters<typeof faultTimes>[0];
    assert.deepEqual(faultTimes(events), [
      {
        faultId: "f1",
        kind: "process-kill",
        activity: "kill",
        injectedAt: at(10),
        detectMs: 4000,
        recoverMs: 7000,
      },
    ]);
  });
  it("says nothing noticed a fault that no check caught", () => {
    const events = [
      {
        ...base,
        ts: at(10),
        type: "fault-injected",
        faultId: "f1",
        kind: "cpu-stress",
        activity: "burn",
        targets: [],
      },
      { ...base, ts: at(12), type: "hypothesis-checked", phase: "during", met: true, title: "h" },
      {
        ...base,
        ts: at(20),
        type: "fault-reverted",
        faultId: "f1",
        kind: "cpu-stress",
        activity: "burn",
        how: "stopped",
      },
    ] as Parameters<typeof faultTimes>[0];
    assert.deepEqual(faultTimes(events)[0]?.detectMs, undefined);
    assert.deepEqual(faultTimes(events)[0]?.recoverMs, undefined);
  });
});

describe("DORA as fourkeys computes it", () => {
  it("puts every bucket boundary where fourkeys' SQL does", () => {
    const H = 60;
    assert.equal(leadTimeBucket(24 * H - 1), "One day");
    assert.equal(leadTimeBucket(24 * H), "One week");
    assert.equal(leadTimeBucket(168 * H - 1), "One week");
    assert.equal(leadTimeBucket(168 * H), "One month");
    assert.equal(leadTimeBucket(730 * H - 1), "One month");
    assert.equal(leadTimeBucket(730 * H), "Six months");
    assert.equal(leadTimeBucket(730 * 6 * H - 1), "Six months");
    assert.equal(leadTimeBucket(730 * 6 * H), "One year");
    assert.equal(recoveryBucket(23.99), "One day");
    assert.equal(recoveryBucket(24), "One week");
    assert.equal(recoveryBucket(167.99), "One week");
    assert.equal(recoveryBucket(168), "One month");
    assert.equal(recoveryBucket(729.99), "One month");
    assert.equal(recoveryBucket(730), "Six months");
    assert.equal(recoveryBucket(4379.99), "Six months");
    assert.equal(recoveryBucket(4380), "One year");
    assert.equal(failureBucket(0.15), "0-15%");
    assert.equal(failureBucket(0.1501), "16-45%");
    assert.equal(failureBucket(0.4599), "16-45%");
    assert.equal(failureBucket(0.46), "46-60%");
  });
  it("splits the window into Monday weeks for the dashboard, each key from the same events as dora()", () => {
    const from = new Date(Date.UTC(2026, 0, 5)); // a Monday
    const to = new Date(Date.UTC(2026, 0, 19)); // two weeks
    const iso = (d: number, h = 0) => new Date(Date.UTC(2026, 0, d, h)).toISOString();
    const records: DeploymentRecord[] = [
      // Sunday 23:00 is the first week; Monday 00:00 the second
      {
        id: "a",
        title: "s",
        startedAt: iso(11, 22),
        endedAt: iso(11, 23),
        outcome: "deployed",
        commitTime: iso(11, 13),
      },
      { id: "b", title: "s", startedAt: iso(12, 0), endedAt: iso(12, 1), outcome: "failed" },
      {
        id: "c",
        title: "s",
        startedAt: iso(13),
        endedAt: iso(13, 1),
        outcome: "deployed",
        commitTimes: [iso(12, 1), iso(13, 2)],
      },
    ];
    const o = { from, to, denominator: "attempts" as const, recoveryStart: "deploy" as const };
    const d = doraDistributions(records, o);
    assert.deepEqual(
      d.weeks.map((w) => [
        w.week,
        w.deployments,
        w.failures,
        w.failureRate,
        w.leadMedianMinutes,
        w.recoveryMedianHours,
      ]),
      [
        ["2026-01-05", 1, 0, 0, 600, null],
        // c's second commit is after it deployed: dropped, as fourkeys drops lead times ≤ 0
        ["2026-01-12", 1, 1, 0.5, 24 * 60, 25],
      ],
    );
    assert.deepEqual(d.leadMinutes, { n: 2, min: 600, median: 1020, p90: 1356, max: 1440 });
    assert.deepEqual(d.deploymentsPerWeek, { n: 2, min: 1, median: 1, p90: 1, max: 1 });
    const report = dora(records, o);
    assert.equal(report.leadTime.medianMinutes, d.leadMinutes?.median);
    assert.equal(report.recoveryTime.medianHours, d.recoveryHours?.median);
  });
  it("takes PERCENTILE_CONT medians", () => {
    assert.equal(medianCont([1, 2, 3, 10]), 2.5);
    assert.equal(medianCont([5]), 5);
    assert.equal(medianCont([]), null);
  });
  it("buckets deployment frequency by days a week, weeks, then weeks a month", () => {
    const from = new Date(Date.UTC(2026, 0, 5)); // a Monday
    const to = new Date(Date.UTC(2026, 3, 6)); // 13 weeks
    const day = (n: number) => Math.floor(from.getTime() / 86_400_000) + n;
    const weeks = Array.from({ length: 13 }, (_, w) => w);
    assert.equal(
      frequency(
        weeks.flatMap((w) => [day(7 * w), day(7 * w + 2), day(7 * w + 4)]),
        from,
        to,
      ).bucket,
      "Daily",
    );
    assert.equal(
      frequency(
        weeks.flatMap((w) => [day(7 * w), day(7 * w + 2)]),
        from,
        to,
      ).bucket,
      "Weekly",
    );
    assert.equal(
      frequency(
        weeks.filter((w) => w % 2 === 0).map((w) => day(7 * w)),
        from,
        to,
      ).bucket,
      "Weekly",
    );
    assert.equal(
      frequency(
        [0, 4, 8, 12].map((w) => day(7 * w)),
        from,
        to,
      ).bucket,
      "Monthly",
    );
    assert.equal(frequency([day(3)], from, to).bucket, "Yearly");
  });
  it("gives fourkeys' figures for a fixture of rollouts (hand-computed from its SQL)", () => {
    const d = (day: number, hour = 12) => new Date(Date.UTC(2026, 0, 5 + day, hour)).toISOString();
    const rec = (
      id: string,
      day: number,
      outcome: DeploymentRecord["outcome"],
      commitHoursBefore?: number,
    ): DeploymentRecord => ({
      id,
      title: "orders",
      startedAt: d(day, 11),
      endedAt: d(day),
      outcome,
      commitTime:
        commitHoursBefore === undefined
          ? undefined
          : new Date(Date.parse(d(day)) - commitHoursBefore * 3_600_000).toISOString(),
    });
    const records = [
      rec("a", 0, "deployed", 2),
      rec("b", 1, "failed", 3),
      rec("c", 2, "deployed", 30),
      rec("d", 7, "deployed", 5),
      rec("e", 8, "failed"),
      rec("f", 10, "deployed", -1), // a commit "after" its deploy: dropped, as fourkeys drops lead times ≤ 0
    ];
    const o = {
      from: new Date(Date.UTC(2026, 0, 5)),
      to: new Date(Date.UTC(2026, 0, 19)),
      denominator: "attempts" as const,
      recoveryStart: "deploy" as const,
    };
    const r = dora(records, o);
    assert.equal(r.deployments, 4);
    assert.equal(r.failures, 2);
    // lead times 2, 30, 5 hours → median 5 h = 300 min
    assert.deepEqual(r.leadTime, { medianMinutes: 300, bucket: "One day", changes: 3, dropped: 1 });
    // 2 failures / 6 attempts
    assert.equal(r.changeFailureRate.rate?.toFixed(4), "0.3333");
    assert.equal(r.changeFailureRate.bucket, "16-45%");
    assert.equal(dora(records, { ...o, denominator: "deployments" }).changeFailureRate.rate, 0.5);
    // b started day 1 11:00 → c day 2 12:00 = 25 h; e started day 8 11:00 → f day 10 12:00 = 49 h
    assert.deepEqual(r.recoveryTime, { medianHours: 37, bucket: "One week", recoveries: 2, start: "deploy" });
    assert.equal(dora(records, { ...o, recoveryStart: "rollback" }).recoveryTime.medianHours, 36);
    // weeks: 2 deploy days, 2 deploy days → median 2 (< 3): weekly
    assert.equal(r.deploymentFrequency.bucket, "Weekly");
  });
});

describe("anomaly detection", () => {
  const STEP = 5 * 60_000;
  const DAY = 86_400_000;
  /** Five weeks of diurnal traffic with weekends, growth and noise; 3× spikes for 10 minutes in the last two. */
  function traffic(seed: number) {
    const r = seeded(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
    const start = Date.UTC(2026, 0, 5);
    const spikes = Array.from(
      { length: 14 },
      (_, d) => start + (21 + d) * DAY + Math.floor(r() * 280) * STEP,
    );
    const points: Point[] = [];
    for (let t = start; t < start + 35 * DAY; t += STEP) {
      const phase = ((t % DAY) / DAY) * 2 * Math.PI;
      const weekend = [0, 6].includes(new Date(t).getUTCDay()) ? 0.7 : 1;
      const mean =
        (50 + 40 * Math.sin(phase - Math.PI / 2)) * weekend * (1 + ((t - start) / (35 * DAY)) * 0.1);
      let v = mean + gauss() * Math.sqrt(mean);
      if (spikes.some((s) => t >= s && t < s + 10 * 60_000)) v *= 3;
      points.push({ t, v: Math.max(0, v) });
    }
    return { start, spikes, points };
  }
  for (const seed of [1, 2, 3]) {
    it(`alerts in fewer than 2% of 14 days' windows and catches every 3×-for-10-minutes spike (seed ${seed})`, () => {
      const { start, spikes, points } = traffic(seed);
      const evals = detect(points, STEP, { ...DEFAULT_ANOMALY, forMs: 0 }).filter(
        (e) => e.t >= start + 21 * DAY,
      );
      const spiky = (t: number) => spikes.some((s) => t >= s && t < s + 20 * 60_000);
      const falseAlerts = evals.filter((e) => e.alert && !spiky(e.t)).length;
      assert.ok(falseAlerts / evals.length < 0.02, `${falseAlerts} of ${evals.length}`);
      for (const s of spikes)
        assert.ok(
          evals.some((e) => e.alert && e.t >= s && e.t < s + 20 * 60_000),
          `missed ${new Date(s).toISOString()}`,
        );
    });
  }
  it("holds a breach for `for` before alerting, and explains every anomaly", () => {
    const { start, points } = traffic(4);
    const evals = detect(points, STEP).filter((e) => e.t >= start + 21 * DAY);
    const first = anomalies(evals)[0];
    assert.ok(first);
    const i = evals.findIndex((e) => e.t === first.start);
    // five minutes of breach (this step and the one before) before the alert
    assert.equal(evals[i - 1]?.breach, true);
    assert.equal(evals[i - 1]?.alert, false);
    assert.match(
      explain(first.peak),
      /^value [\d.]+ against a prediction of [\d.]+ \(band [-\d.]+\.\.[\d.]+, [\d.]+σ\) at 2026-/,
    );
  });
  it("holds `for` as Prometheus does: a `for` shorter than a step still pends the first breaching step", () => {
    const { start, points } = traffic(4);
    const evals = detect(points, STEP, { ...DEFAULT_ANOMALY, forMs: 4 * 60_000 }).filter(
      (e) => e.t >= start + 21 * DAY,
    );
    const firsts = anomalies(evals).map((a) => evals.findIndex((e) => e.t === a.start));
    assert.ok(firsts.length > 0);
    for (const i of firsts) {
      assert.equal(evals[i - 1]?.breach, true);
      assert.equal(evals[i - 1]?.alert, false);
    }
  });
  it("does not judge a series with less than a week of history, nor one below the floor", () => {
    const flat = Array.from({ length: 5000 }, (_, i) => ({ t: i * STEP, v: 0.01 }));
    const evals = detect(flat, STEP);
    assert.match(evals[0]?.skipped ?? "", /warming up/);
    assert.match(evals.at(-1)?.skipped ?? "", /below the floor/);
    assert.equal(evals.filter((e) => e.alert).length, 0);
  });
  it("has the seed's 1.5× weekly average as a preset, which a diurnal peak trips", () => {
    const { start, points } = traffic(5);
    const evals = detect(
      points.filter((p) => p.t < start + 14 * DAY),
      STEP,
      { ...DEFAULT_ANOMALY, ...WEEKLY_AVERAGE_PRESET },
    );
    assert.ok(
      evals.some((e) => e.alert),
      "the flat weekly mean is below every daily peak",
    );
  });
});

it("finds the unbalanced bracket or unclosed string of a PromQL expression, and passes balanced ones", async () => {
  const { unbalancedPromQl } = await import("../../src/core/anomaly-rules.js");
  assert.equal(unbalancedPromQl('sum(rate(http_requests_total{code=~"5.."}[5m]))'), undefined);
  assert.equal(unbalancedPromQl('sum(rate(x{a="(("}[5m]))'), undefined);
  assert.equal(unbalancedPromQl("sum(rate(x[5m])"), "the ( at column 4 is not closed");
  assert.equal(unbalancedPromQl("sum(x])"), "the ] at column 6 closes the ( at column 4");
  assert.equal(unbalancedPromQl("x)"), "the ) at column 2 closes nothing");
  assert.equal(unbalancedPromQl('x{a="b}'), "the string opened at column 5 is not closed");
});
