import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";

const provider = join(ROOT, "dist", "test", "helpers", "pact-provider.js");
const cmd = (...extra: string[]) =>
  JSON.stringify([process.execPath, provider, "--port", "${port}", ...extra]);

/** What the checkout consumer relies on (pact v3, as Pact JS writes it): a decimal total and a status. */
const pact = {
  consumer: { name: "checkout" },
  provider: { name: "orders" },
  interactions: [
    {
      description: "a request for an order",
      providerStates: [{ name: "an order exists", params: { id: 7 } }],
      request: { method: "GET", path: "/orders/7" },
      response: {
        status: 200,
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: { id: 7, total: 9.99, status: "open", items: [{ sku: "X-9", qty: 1 }] },
        matchingRules: {
          body: {
            "$.id": { matchers: [{ match: "integer" }], combine: "AND" },
            "$.total": { matchers: [{ match: "decimal" }], combine: "AND" },
            "$.status": { matchers: [{ match: "regex", regex: "open|closed" }], combine: "AND" },
            "$.items": { matchers: [{ match: "type", min: 1 }], combine: "AND" },
          },
        },
      },
    },
  ],
  metadata: { pactSpecification: { version: "3.0.0" }, "pact-js": { version: "12.1.0" } },
};

function rolloutFile(dir: string, name: string, canaryArgs: string[]): string {
  mkdirSync(join(dir, "pacts"), { recursive: true });
  writeFileSync(join(dir, "pacts", "checkout-orders.json"), JSON.stringify(pact, null, 2));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: contracts}
spec:
  metrics:
    - name: consumer-pacts
      provider:
        pact:
          pacts: [./pacts]
          stateChangeUrl: /_pact/state
---
apiVersion: withstand/v1
kind: Rollout
metadata: {name: ${name}}
spec:
  listen: 127.0.0.1:0
  stable: {command: ${cmd()}}
  canary: {command: ${cmd(...canaryArgs)}}
  steps:
    - analysis: {templates: [{templateName: contracts}]}
    - setWeight: 50
    - analysis: {templates: [{templateName: contracts}]}
`,
  );
  return file;
}

interface Detail {
  id: string;
  result: {
    decision: string;
    analyses: {
      phase: string;
      measurements: {
        phase: string;
        result: Record<string, number>;
        contract: {
          version: string;
          interactions: {
            description: string;
            status: string;
            mismatches: { path: string; expected: unknown; actual: unknown; mismatch: string }[];
          }[];
        };
      }[];
    }[];
  };
}

async function lastRun(env: NodeJS.ProcessEnv): Promise<Detail> {
  const runs = await runCli(["runs", "--json"], { env });
  const id = (JSON.parse(runs.stdout) as { runs: { id: string; kind: string }[] }).runs.find(
    (r) => r.kind === "rollout",
  )?.id;
  assert.ok(id, runs.stdout);
  return JSON.parse((await runCli(["runs", "show", id, "--json"], { env })).stdout) as Detail;
}

describe("a pact gate in a rollout", () => {
  it("promotes a canary that honours its consumers' pacts, verified before traffic and again at 50%", async () => {
    const { dir, env } = isolatedEnv();
    const r = await runCli(["rollout", rolloutFile(dir, "good", [])], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PROMOTED good/);
    const run = await lastRun(env);
    assert.equal(run.result.decision, "promoted");
    assert.equal(run.result.analyses.length, 2);
    for (const a of run.result.analyses) {
      assert.equal(a.phase, "Successful");
      assert.deepEqual(a.measurements[0]?.result, {
        verified: 1,
        failed: 0,
        pending: 0,
        skipped: 0,
        total: 1,
      });
      assert.equal(a.measurements[0]?.contract.version, "canary");
    }
  });

  it("rolls back a canary that breaks the contract before it gets traffic, with every mismatch in the record and the report", async () => {
    const { dir, env } = isolatedEnv();
    const r = await runCli(["rollout", rolloutFile(dir, "broken", ["--break"])], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /ROLLED BACK broken/);
    assert.match(r.stdout, /checkout: a request for an order/);
    assert.match(r.stdout, /body \$\.total: Expected '12\.50 EUR' \(String\) to be a decimal number/);
    assert.doesNotMatch(r.stdout, /weight canary 50%/, "the canary never got traffic");
    const run = await lastRun(env);
    assert.equal(run.result.decision, "rolled-back");
    const m = run.result.analyses[0]?.measurements[0];
    assert.equal(m?.phase, "Failed");
    assert.equal(m?.result.failed, 1);
    const broken = m?.contract.interactions[0];
    assert.equal(broken?.status, "failed");
    const byPath = new Map(broken?.mismatches.map((x) => [x.path, x]));
    assert.deepEqual([byPath.get("$.total")?.expected, byPath.get("$.total")?.actual], [9.99, "12.50 EUR"]);
    assert.equal(byPath.get("$")?.mismatch, "Actual map is missing the following keys: status");
    const report = await runCli(["report", run.id, "--format", "md"], { env });
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /checkout: a request for an order/);
    assert.match(report.stdout, /body \$\.total: .*\(expected 9\.99, actual "12\.50 EUR"\)/);
    const junit = await runCli(["report", run.id, "--format", "junit"], { env });
    assert.match(junit.stdout, /<testcase[^>]*name="checkout: a request for an order"[\s\S]*?<failure/);
  });

  it("refuses a gate whose pact file is missing or broken with exit 2, before anything starts", async () => {
    const { dir, env } = isolatedEnv();
    const file = rolloutFile(dir, "bad-input", []);
    writeFileSync(
      join(dir, "pacts", "checkout-orders.json"),
      '{"consumer": {"name": "checkout"}, "interactions": [',
    );
    const r = await runCli(["rollout", file], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /checkout-orders\.json:\d+:\d+/);
    // A gate on a baseline the rollout does not have is named at its metric.
    writeFileSync(join(dir, "pacts", "checkout-orders.json"), JSON.stringify(pact));
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "stateChangeUrl: /_pact/state",
        "stateChangeUrl: /_pact/state\n          version: baseline",
      ),
    );
    const b = await runCli(["rollout", file], { env });
    assert.equal(b.code, 2, b.stdout + b.stderr);
    assert.match(
      b.stderr,
      /bad-input\.yaml:6:7: provider\.pact\.version: verifies the baseline, and the rollout has none/,
    );
  });
});
