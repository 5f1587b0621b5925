import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { freePort } from "../../src/proxy/listen.js";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited } from "../helpers/processes.js";

/**
 * 28 days of known traffic backfilled into a real Prometheus (promtool's OpenMetrics import), then the
 * generated rules' expressions evaluated there at the end of the data: each window must give the ratio
 * the data was built to have, so a 28-day rule can never quietly be a 5-minute one.
 */
const { dir, env } = isolatedEnv();
const MIN = 60_000;
const SLICE = 5 * MIN;
const DAY = 86_400_000;
// The data ends on a slice boundary in the past; one sample a minute, a little more than 28 days.
const END = Math.floor((Date.now() - 30 * MIN) / SLICE) * SLICE;
const START = END - 28 * DAY - 30 * MIN;
const TOTAL_PER_MIN = 100;

/** Errors in the minute ending at t: every 10th 5-minute slice has 10%, the others 1%; the last hour 30%. */
function errorsAt(t: number): number {
  if (t > END - 60 * MIN) return 30;
  const slice = Math.floor((t / MIN - 1) / 5);
  return slice % 10 === 0 ? 10 : 1;
}

function openMetrics(): string {
  const total: string[] = [];
  const errors: string[] = [];
  let t = 0;
  let e = 0;
  for (let at = START; at <= END; at += MIN) {
    t += TOTAL_PER_MIN;
    e += errorsAt(at);
    total.push(`shop_requests_total ${t} ${at / 1000}`);
    errors.push(`shop_errors_total ${e} ${at / 1000}`);
  }
  return `# TYPE shop_requests counter\n${total.join("\n")}\n# TYPE shop_errors counter\n${errors.join("\n")}\n# EOF\n`;
}

/** What the data holds over (END - window, END]: the error ratio and the fraction of bad 5m slices. */
function expected(windowMs: number): { ratio: number; badSlices: number } {
  let errors = 0;
  let total = 0;
  const slices = new Map<number, number>();
  for (let at = END - windowMs + MIN; at <= END; at += MIN) {
    errors += errorsAt(at);
    total += TOTAL_PER_MIN;
    const slice = Math.floor((at / MIN - 1) / 5);
    slices.set(slice, Math.max(slices.get(slice) ?? 0, errorsAt(at) / TOTAL_PER_MIN));
  }
  const bad = [...slices.values()].filter((r) => r > 0.05).length;
  return { ratio: errors / total, badSlices: bad / slices.size };
}

const slo = (name: string, method: string, extra = "") => `apiVersion: openslo/v1
kind: SLO
metadata: {name: ${name}}
spec:
  service: shop
  indicator:
    metadata: {name: ${name}-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(shop_errors_total[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(shop_requests_total[{{.window}}]))'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: ${method}
  objectives:
    - {displayName: availability, target: 0.95${extra}}
`;

let prometheus: ChildProcess | undefined;
let promUrl = "";
const rules = new Map<string, string>();

before(async () => {
  const data = join(dir, "shop.om");
  writeFileSync(data, openMetrics());
  // One block rather than one every two hours: the same data, written in a fraction of the time.
  execFileSync("promtool", [
    "tsdb",
    "create-blocks-from",
    "openmetrics",
    "--max-block-duration=2000h",
    "-q",
    data,
    join(dir, "tsdb"),
  ]);
  const doc = join(dir, "slo.yaml");
  writeFileSync(
    doc,
    `${slo("shop-occurrences", "Occurrences")}---\n${slo("shop-timeslices", "Timeslices", ", timeSliceTarget: 0.95, timeSliceWindow: 5m")}`,
  );
  const out = join(dir, "rules.yaml");
  const gen = await runCli(["slo", "rules", doc, "-o", out], { env });
  assert.equal(gen.code, 0, gen.stderr);
  const parsed = parse(readFileSync(out, "utf8")) as {
    groups: { rules: { record?: string; expr: string; labels?: Record<string, string> }[] }[];
  };
  for (const g of parsed.groups)
    for (const r of g.rules)
      if (r.record?.startsWith("slo:sli_error:ratio_rate"))
        rules.set(`${r.labels?.sloth_slo}/${r.labels?.sloth_window}`, r.expr);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, "prometheus.yml"), "global: {evaluation_interval: 1m}\n");
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      "--storage.tsdb.retention.time=90d",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  // Prometheus has no readiness notification but its /-/ready endpoint: poll it, bounded.
  const started = Date.now();
  for (;;) {
    assert.ok(Date.now() - started < 60_000, "Prometheus did not become ready within 60 s");
    const ok = await fetch(`${promUrl}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(async () => {
  prometheus?.kill("SIGTERM");
  if (prometheus) await exited(prometheus);
});

async function valueAt(expr: string): Promise<number> {
  const url = `${promUrl}/api/v1/query?time=${END / 1000}&query=${encodeURIComponent(expr)}`;
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data?: { result: { value: [number, string] }[] };
  };
  assert.equal(body.status, "success", body.error);
  const v = body.data?.result[0]?.value[1];
  assert.ok(v !== undefined, `no result for ${expr}`);
  return Number(v);
}

describe("SLO rules over 28 days of backfilled data in a real Prometheus", () => {
  it("the 28d Occurrences rule gives the 28-day ratio, and the 5m rule the last 5 minutes'", async () => {
    const month = expected(28 * DAY);
    const got = await valueAt(rules.get("shop-occurrences/28d") ?? "missing");
    assert.ok(Math.abs(got - month.ratio) < 1e-4, `28d ratio ${got}, the data holds ${month.ratio}`);
    const recent = await valueAt(rules.get("shop-occurrences/5m") ?? "missing");
    assert.ok(Math.abs(recent - 0.3) < 1e-6, `5m ratio ${recent}, the data holds 0.3`);
  });

  it("Timeslices counts bad slices: 10% of the slices are bad, whatever their error ratio", async () => {
    const month = expected(28 * DAY);
    const got = await valueAt(rules.get("shop-timeslices/28d") ?? "missing");
    assert.ok(
      Math.abs(got - month.badSlices) < 2e-3,
      `28d bad-slice fraction ${got}, the data holds ${month.badSlices} (its error ratio is ${month.ratio})`,
    );
    const day = expected(DAY);
    const dayGot = await valueAt(rules.get("shop-timeslices/1d") ?? "missing");
    assert.ok(Math.abs(dayGot - day.badSlices) < 5e-3, `1d ${dayGot} vs ${day.badSlices}`);
  });

  it("passes promtool check rules", () => {
    const out = execFileSync("promtool", ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" });
    assert.match(out, /SUCCESS/);
  });
});
