/**
 * Load generators that scale out (#16): generators in one group write to a shared store; the group's
 * report merges their histograms exactly and judges thresholds over the whole; abortOnFail on the
 * merged view stops every generator; `load export kubernetes` lays them out as an Indexed Job.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { parseAllDocuments } from "yaml";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

interface SummaryExport {
  metrics: Record<string, Record<string, number>>;
}

function loadTest(dir: string, name: string, spec: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `apiVersion: withstand/v1\nkind: LoadTest\nmetadata: {name: ${name}}\nspec:\n${spec}`);
  return file;
}

let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres.stop());

describe("load groups", () => {
  it("runs the exported Indexed Job's pods as 4 segments whose merged report equals the server's count and the HDR logs' union", async () => {
    const { dir, env } = isolatedEnv();
    const target = await startServer((_req, res) => res.end("ok"));
    try {
      const file = loadTest(
        dir,
        "scale-out",
        `  url: ${target.url}/orders\n  rate: 1600/s\n  duration: 3s\n  thresholds:\n    http_req_duration: ["p(99)<2000"]\n    http_req_failed: ["rate<0.01"]\n`,
      );
      const store = postgres.freshStore();
      const exported = await runCli(
        [
          "load",
          "export",
          "kubernetes",
          file,
          "--parallelism",
          "4",
          "--image",
          "registry.test/withstand:1",
          "--store",
          store,
        ],
        { env },
      );
      assert.equal(exported.code, 0, exported.stderr);
      const docs = parseAllDocuments(exported.stdout).map((d) => d.toJS() as Record<string, unknown>);
      const [configMap, job] = docs;
      // The official batch/v1 Job and v1 ConfigMap schemas (generated from Kubernetes' OpenAPI).
      new ConfigMap(configMap as ConstructorParameters<typeof ConfigMap>[0]).validate();
      new Job(job as ConstructorParameters<typeof Job>[0]).validate();
      const spec = (
        job as {
          spec: {
            completionMode: string;
            completions: number;
            parallelism: number;
            template: { spec: { containers: { args: string[]; env: { name: string; value: string }[] }[] } };
          };
        }
      ).spec;
      assert.equal(spec.completionMode, "Indexed");
      assert.equal(spec.completions, 4);
      assert.equal(spec.parallelism, 4);
      const container = spec.template.spec.containers[0];
      assert.ok(container);
      const group = container.args[container.args.indexOf("--group") + 1] ?? "";
      // Each pod, as Kubernetes would start it: the mounted file, the Job's env and its completion index.
      const podEnv = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
      const pods = [0, 1, 2, 3].map((i) =>
        startCli(
          [
            ...container.args.map((a) => a.replace(/^\/withstand\//, `${dir}/`)),
            "--hdr-log",
            join(dir, `pod${i}.hlog`),
            "--quiet",
          ],
          { env: { ...env, ...podEnv, JOB_COMPLETION_INDEX: String(i) } },
        ),
      );
      const results = await Promise.all(pods.map(finished));
      for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
      const served = target.seen.length;
      assert.ok(served > 4000, `the server saw ${served} requests`);

      const report = await runCli(
        ["load", "report", "--group", group, "--store", store, "--summary-json", join(dir, "group.json")],
        { env },
      );
      assert.equal(report.code, 0, report.stderr + report.stdout);
      assert.match(report.stdout, new RegExp(`group ${group}, 4 generators \\(all finished\\)`));
      const merged = await runCli(
        [
          "load",
          "merge",
          ...[0, 1, 2, 3].map((i) => join(dir, `pod${i}.hlog`)),
          "--summary-json",
          join(dir, "hdr.json"),
        ],
        { env },
      );
      assert.equal(merged.code, 0, merged.stderr);
      const fromStore = JSON.parse(readFileSync(join(dir, "group.json"), "utf8")) as SummaryExport;
      const fromLogs = JSON.parse(readFileSync(join(dir, "hdr.json"), "utf8")) as SummaryExport;
      assert.equal(fromStore.metrics.http_reqs?.count, served);
      for (const stat of ["p(99)", "p(95)", "med", "max", "min"])
        assert.equal(
          fromStore.metrics.http_req_duration?.[stat],
          fromLogs.metrics.http_req_duration?.[stat],
          stat,
        );
    } finally {
      await target.close();
    }
  });

  it("stops every generator within 2 s when the merged view crosses an abortOnFail threshold none crosses alone", async () => {
    const { dir, env } = isolatedEnv();
    const target = await startServer((_req, res) => res.end("ok"));
    try {
      // 4 x 100/s: each generator alone stays under 900 requests for 9 s; the group crosses it in about 2.3 s.
      const file = loadTest(
        dir,
        "group-abort",
        `  url: ${target.url}/\n  rate: 400/s\n  duration: 30s\n  thresholds:\n    http_reqs: [{threshold: "count<900", abortOnFail: true}]\n`,
      );
      const store = postgres.freshStore();
      const started = Date.now();
      const runs = [1, 2, 3, 4].map((i) =>
        finished(
          startCli(
            ["load", file, "--segment", `${i}/4`, "--group", "abort-test", "--store", store, "--quiet"],
            { env },
          ),
        ).then((r) => ({ ...r, at: Date.now() })),
      );
      const results = await Promise.all(runs);
      const ends = results.map((r) => r.at);
      for (const r of results) {
        assert.equal(r.code, 1, r.stderr + r.stdout);
        assert.match(r.stdout, /http_reqs count<900 \(group abort-test\) crossed/);
      }
      assert.ok(
        Math.max(...ends) - Math.min(...ends) < 2000,
        `generators stopped ${Math.max(...ends) - Math.min(...ends)} ms apart`,
      );
      assert.ok(Math.max(...ends) - started < 20_000, "the group stopped long before its 30 s");
      const report = await runCli(["load", "report", "--group", "abort-test", "--store", store, "--json"], {
        env,
      });
      assert.equal(report.code, 1);
      const body = JSON.parse(report.stdout) as {
        generators: { outcome: string }[];
        metrics: SummaryExport["metrics"];
      };
      assert.equal(body.generators.length, 4);
      assert.ok(body.generators.every((g) => g.outcome === "thresholds-failed"));
    } finally {
      await target.close();
    }
  });

  it("refuses what cannot work, with exit 2", async () => {
    const { dir, env } = isolatedEnv();
    const file = loadTest(dir, "refused", "  url: http://127.0.0.1:9/\n  rate: 1/s\n  duration: 1s\n");
    const cases: [string[], RegExp][] = [
      [["load", "report", "--group", "nobody"], /no load run joined group nobody/],
      [["load", "report"], /expected --group NAME/],
      [["load", file, "--group", "bad name!"], /--group bad name!: expected/],
      [["load", file, "--segment-of", "4"], /JOB_COMPLETION_INDEX is not set/],
      [
        [
          "load",
          "export",
          "kubernetes",
          file,
          "--parallelism",
          "2",
          "--image",
          "i",
          "--store",
          join(dir, "x.db"),
        ],
        /shared store/,
      ],
      [
        [
          "load",
          "export",
          "kubernetes",
          file,
          "--parallelism",
          "2",
          "--image",
          "i",
          "--store",
          "postgres://u:secret@db/w",
        ],
        /--store-secret/,
      ],
      [["load", "export", "kubernetes", file, "--image", "i", "--store-secret", "s"], /--parallelism/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
