import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";
import { startTarget } from "../helpers/processes.js";

const { env } = isolatedEnv();
let target: Awaited<ReturnType<typeof startTarget>>;
before(async () => {
  target = await startTarget(["--fail-every", "20"]);
});
after(() => target.stop());

describe("withstand slo over withstand's own windows", () => {
  it("status: SLI, budget, burn rates and alert states from stored load windows", async () => {
    const load = await runCli(["load", `${target.url}/`, "--rate", "200/s", "--duration", "2s", "--quiet"], {
      env,
    });
    assert.equal(load.code, 0, load.stderr);
    const r = await runCli(["slo", "status", fixture("slo", "withstand-windows.yaml"), "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout).slos[0];
    assert.equal(s.slo, "load-availability");
    assert.equal(s.events, 400);
    assert.ok(Math.abs(s.budget.sli - 0.95) < 1e-9, `${s.budget.sli}`);
    // 5% errors against a 1% budget: a 5x burn, and the budget is overspent by 4 budgets' worth.
    assert.ok(Math.abs(s.burnRates["5m"] - 5) < 1e-9);
    assert.ok(Math.abs(s.budget.budgetRemainingFraction + 4) < 1e-9);
    assert.ok(Math.abs(s.budget.budgetTotalUnits - 4) < 1e-9);
    assert.deepEqual(
      s.alerts.map((a: { severity: string; firing: boolean }) => [a.severity, a.firing]),
      [
        ["page", false],
        ["page", false],
        ["ticket", true],
        ["ticket", true],
      ],
    );
    const text = await runCli(["slo", "status", fixture("slo", "withstand-windows.yaml")], { env });
    assert.match(
      text.stdout,
      /load-availability \(orders\), objective availability\n {2}SLI {12}95\.000% over 400 events {3}target 99\.000%/,
    );
    const alerts = await runCli(["slo", "alerts", fixture("slo", "withstand-windows.yaml")], { env });
    assert.equal(alerts.code, 1);
    assert.match(alerts.stdout, /load-availability ticket 48m\/4m 3\.0x: FIRING/);
  });

  it("resolves references across the files given to one command", async () => {
    const { dir } = isolatedEnv();
    const docs = readFileSync(fixture("slo", "orders.yaml"), "utf8").split(/^---$/m);
    const sources = join(dir, "sources.yaml");
    const slos = join(dir, "slos.yaml");
    // The DataSource and the SLI in one file, the SLOs that refer to them in another.
    writeFileSync(sources, docs.slice(0, 2).join("---"));
    writeFileSync(slos, docs.slice(2).join("---"));
    const alone = await runCli(["slo", "rules", slos], { env });
    assert.equal(alone.code, 2);
    const both = await runCli(["slo", "rules", sources, slos], { env });
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /record: slo:sli_error:ratio_rate30d/);
  });

  it("rejects a bad --at and bad documents with exit 2", async () => {
    const r = await runCli(
      ["slo", "status", fixture("slo", "withstand-windows.yaml"), "--at", "yesterday-ish"],
      { env },
    );
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "withstand: error WS_USAGE: --at yesterday-ish: expected a time such as 2026-11-22T10:00:00Z\n",
    );
    const bad = await runCli(["slo", "rules", fixture("slo", "withstand-windows.yaml")], { env });
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^withstand: error WS_SLO_RULES: .*rules need a prometheus metric source, got withstand/,
    );
  });
});
