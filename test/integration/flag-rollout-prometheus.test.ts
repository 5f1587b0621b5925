/**
 * A flag rollout judged by Prometheus: the application evaluates the flag per request over OFREP and
 * labels its metrics by variant; a real Prometheus scrapes it; the rollout's query names
 * `{{variant}}`, asked once for the variant and once for the baseline variant. The variant whose
 * requests fail is rolled back to 0%.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { Counter, Registry } from "prom-client";
import { freePort } from "../../src/proxy/listen.js";
import { runCli } from "../helpers/cli.js";
import { type FlagsServer, ofrep, startFlags, TOKEN } from "../helpers/flags.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, until } from "../helpers/processes.js";

const FLAG_FILE = {
  flags: {
    "new-pricing": {
      state: "ENABLED",
      variants: { old: "old", broken: "broken" },
      defaultVariant: "old",
      targeting: {
        fractional: [
          ["old", 100],
          ["broken", 0],
        ],
      },
    },
  },
};

const { dir, env: base } = isolatedEnv();
const env = { ...base, WITHSTAND_FLAGS_TOKEN: TOKEN };
let flags: FlagsServer;
let app: Server;
let prometheus: ChildProcess | undefined;
let promUrl = "";
const stop = new AbortController();
let traffic: Promise<void> = Promise.resolve();

const variantOf = async (user: string) =>
  (await ofrep(flags.url, "/ofrep/v1/evaluate/flags/new-pricing", { context: { targetingKey: user } })).body
    ?.variant as string | undefined;

before(async () => {
  flags = await startFlags(dir, env, { flags: FLAG_FILE });
  // The application: evaluates the flag per request and counts requests by variant and outcome.
  const registry = new Registry();
  const requests = new Counter({
    name: "checkout_requests_total",
    help: "checkout requests by pricing variant and outcome",
    labelNames: ["variant", "outcome"],
    registers: [registry],
  });
  for (const variant of ["old", "broken"])
    for (const outcome of ["ok", "error"]) requests.inc({ variant, outcome }, 0);
  app = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    variantOf(url.searchParams.get("user") ?? "").then(
      (variant = "old") => {
        const failed = variant === "broken";
        requests.inc({ variant, outcome: failed ? "error" : "ok" });
        res.writeHead(failed ? 500 : 200).end(variant);
      },
      () => res.writeHead(503).end(),
    );
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  // Users keep checking out, one request in flight per worker, until the test ends.
  let n = 0;
  traffic = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop.signal.aborted) {
        const user = `user-${n++ % 5000}`;
        await fetch(`${appUrl}/checkout?user=${user}`, { signal: stop.signal })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    }),
  ).then(() => undefined);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: app\n    static_configs: [{targets: ["${appUrl.slice(7)}"]}]\n`,
  );
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  // Prometheus says nothing when a scrape lands: poll its query API for the app's series.
  await until(
    async () => {
      const r = await fetch(`${promUrl}/api/v1/query?query=checkout_requests_total`).catch(() => undefined);
      const body = (await r?.json().catch(() => undefined)) as { data?: { result?: unknown[] } } | undefined;
      return (body?.data?.result?.length ?? 0) >= 4;
    },
    40_000,
    "Prometheus to scrape the application",
  );
});

after(async () => {
  stop.abort();
  await traffic;
  if (prometheus) {
    prometheus.kill("SIGTERM");
    await exited(prometheus);
  }
  await new Promise<void>((r) => (app ? app.close(() => r()) : r()));
  await flags?.stop();
});

it("judges each variant by its own series ({{variant}}) and rolls the failing one back to 0%", async () => {
  const file = join(dir, "rollout.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Rollout
metadata: {name: prom-pricing}
spec:
  flag: {server: "${flags.url}", key: new-pricing, variant: broken, baseline: old}
  steps:
    - setWeight: 30
    - analysis:
        initialDelay: 4s
        interval: 8s
        count: 1
        judge:
          metrics:
            - name: errors
              source: prometheus
              prometheus: ${promUrl}
              query: 'sum(rate(checkout_requests_total{variant="{{variant}}",outcome="error"}[3s]))'
    - setWeight: 100
`,
  );
  const r = await runCli(["rollout", file, "--json"], { env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const events = r.stdout
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          type: string;
          weight?: number;
          phase?: string;
          metrics?: { name: string; classification: string; controlMean?: number; experimentMean?: number }[];
        },
    );
  const m = events.find((e) => e.type === "rollout-measurement");
  assert.equal(m?.phase, "Failed", JSON.stringify(m));
  const errors = m?.metrics?.find((x) => x.name === "errors");
  assert.equal(errors?.classification, "High", JSON.stringify(errors));
  // The baseline's series is the old variant's (no errors), the canary's the broken variant's.
  assert.equal(errors?.controlMean, 0, JSON.stringify(errors));
  assert.ok((errors?.experimentMean ?? 0) > 0, JSON.stringify(errors));
  assert.deepEqual(
    events.filter((e) => e.type === "rollout-weight").map((e) => e.weight),
    [30, 0],
  );
  const users = await Promise.all(Array.from({ length: 200 }, (_, i) => variantOf(`user-${i}`)));
  assert.deepEqual([...new Set(users)], ["old"], "no user gets the broken variant after the rollback");
});
