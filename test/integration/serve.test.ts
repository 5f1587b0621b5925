import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { newWindow, recordSample, toStored } from "../../src/core/window.js";
import { SqliteStore } from "../../src/store/sqlite.js";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { pauseExperiment } from "../helpers/experiments.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startVictim, stateOf, stopChild, until } from "../helpers/processes.js";
import { startServe } from "../helpers/serve.js";

const { dir, env } = isolatedEnv();
let serve: Awaited<ReturnType<typeof startServe>>;

function http(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs with real windows and events, written through the store the runner uses. */
async function seed(): Promise<void> {
  const store = new SqliteStore(env.WITHSTAND_STORE ?? "");
  const t0 = Date.parse("2026-11-20T10:00:00Z");
  for (let i = 0; i < 7; i++) {
    const id = `20261120-10000${i}-seed0${i}`;
    const kind = i % 3 === 0 ? "load" : "experiment";
    const startedAt = new Date(t0 + i * 60_000).toISOString();
    await store.beginRun({
      id,
      kind,
      title: `${kind} number ${i}`,
      source: `/tmp/${kind}-${i}.yaml`,
      startedAt,
    });
    await store.appendEvent({
      type: "run-started",
      runId: id,
      ts: startedAt,
      title: `${kind} ${i}`,
      source: "x",
    });
    await store.appendEvent({
      type: "fault-injected",
      runId: id,
      ts: new Date(t0 + i * 60_000 + 2000).toISOString(),
      faultId: `f${i}`,
      kind: "process-pause",
      activity: "freeze",
      targets: ["123 worker"],
    });
    await store.appendEvent({
      type: "fault-reverted",
      runId: id,
      ts: new Date(t0 + i * 60_000 + 4000).toISOString(),
      faultId: `f${i}`,
      kind: "process-pause",
      activity: "freeze",
      how: "SIGCONT to 123",
    });
    for (let s = 0; s < 6; s++) {
      const w = newWindow(t0 + i * 60_000 + s * 1000);
      for (let n = 0; n < 50; n++)
        recordSample(w, {
          latencyMicros: (s === 3 ? 90_000 : 5000) + n * 10,
          status: n < 2 && s === 3 ? 503 : 200,
          errorClass: n < 2 && s === 3 ? "5xx" : undefined,
        });
      w.end = w.start + 1000;
      await store.appendWindow(id, "traffic", toStored(w));
    }
    await store.finishRun(id, {
      status: i === 4 ? "failed" : "completed",
      deviated: i === 4,
      outcome: i === 4 ? "deviated" : kind === "load" ? "passed" : "held",
      exitCode: i === 4 ? 1 : 0,
      endedAt: new Date(t0 + i * 60_000 + 6000).toISOString(),
      durationMs: 6000,
      result:
        kind === "load"
          ? { metrics: { http_req_duration: { thresholds: { "p(99)<300": { ok: true } } } } }
          : null,
    });
  }
  await store.close();
}

before(async () => {
  await seed();
  serve = await startServe(env);
});
after(async () => serve?.stop());

describe("withstand serve: the API", () => {
  it("lists runs with filters, search, paging and a total", async () => {
    const all = JSON.parse((await http(`${serve.url}/api/runs?limit=3`)).body) as {
      total: number;
      runs: { id: string }[];
    };
    assert.equal(all.total, 7);
    assert.deepEqual(
      all.runs.map((r) => r.id.slice(-2)),
      ["06", "05", "04"],
      "newest first",
    );
    const page2 = JSON.parse((await http(`${serve.url}/api/runs?limit=3&offset=3`)).body) as {
      runs: { id: string }[];
    };
    assert.deepEqual(
      page2.runs.map((r) => r.id.slice(-2)),
      ["03", "02", "01"],
    );
    const load = JSON.parse((await http(`${serve.url}/api/runs?kind=load`)).body) as { total: number };
    assert.equal(load.total, 3);
    const failed = JSON.parse((await http(`${serve.url}/api/runs?status=failed`)).body) as {
      runs: { outcome: string }[];
    };
    assert.deepEqual(
      failed.runs.map((r) => r.outcome),
      ["deviated"],
    );
    const found = JSON.parse((await http(`${serve.url}/api/runs?q=number%205`)).body) as { total: number };
    assert.equal(found.total, 1);
  });

  it("serves the run kinds of the registry, which the dashboard's filter offers", async () => {
    const r = JSON.parse((await http(`${serve.url}/api/run-kinds`)).body) as {
      kinds: { name: string; label: string }[];
    };
    assert.deepEqual(
      r.kinds.map((k) => k.name),
      ["experiment", "load", "rollout", "synthetic", "inject", "pact", "gameday"],
    );
    assert.ok(r.kinds.every((k) => k.label.length > 0));
  });

  it("returns a run's timeline: per-second points and the fault as an interval", async () => {
    const r = JSON.parse((await http(`${serve.url}/api/runs/20261120-100004`)).body) as {
      outcome: string;
      timeline: {
        series: Record<string, { errorRate: number; p99: number }[]>;
        faults: { from: number; to: number; how: string }[];
      };
    };
    assert.equal(r.outcome, "deviated");
    const pts = r.timeline.series.traffic ?? [];
    assert.equal(pts.length, 6);
    assert.equal(pts[3]?.errorRate, 0.04);
    assert.ok((pts[3]?.p99 ?? 0) > 89 && (pts[0]?.p99 ?? 0) < 6);
    assert.equal(r.timeline.faults.length, 1);
    assert.equal((r.timeline.faults[0]?.to ?? 0) - (r.timeline.faults[0]?.from ?? 0), 2000);
    assert.equal((await http(`${serve.url}/api/runs/nope`)).status, 404);
  });

  it("renders reports: self-contained HTML with the charts, JUnit with the failure, Markdown and JSON", async () => {
    const html = await http(`${serve.url}/api/runs/20261120-100004/report?format=html`);
    assert.match(String(html.headers["content-type"]), /text\/html/);
    assert.match(html.body, /<svg[^>]*aria-label="latency p50 \/ p99 \(ms\)"/);
    assert.match(html.body, /<rect class="fault-span"/);
    assert.doesNotMatch(html.body, /<(script|link)\b|src="http|href="http/, "nothing loaded from elsewhere");
    const junit = await http(`${serve.url}/api/runs/20261120-100004/report?format=junit`);
    assert.match(junit.body, /<testsuite name="experiment number 4"[^>]* failures="1"/);
    assert.match(junit.body, /<failure message="deviated"/);
    const okJunit = await http(`${serve.url}/api/runs/20261120-100003/report?format=junit`);
    assert.match(okJunit.body, /tests="1" failures="0"/);
    assert.match(okJunit.body, /name="http_req_duration p\(99\)&lt;300"/);
    const md = await http(`${serve.url}/api/runs/20261120-100004/report?format=md`);
    assert.match(md.body, /^# experiment number 4\n\n\*\*DEVIATED\*\*/);
    assert.match(
      md.body,
      /\| process-pause \| freeze \| 123 worker \| \+2\.0s \| \+4\.0s \| SIGCONT to 123 \|/,
    );
    const json = JSON.parse(
      (await http(`${serve.url}/api/runs/20261120-100004/report?format=json`)).body,
    ) as { timeline: unknown };
    assert.ok(json.timeline);
    assert.equal((await http(`${serve.url}/api/runs/20261120-100004/report?format=pdf`)).status, 400);
  });

  it("refuses mutations without the token, cross-origin calls and foreign Host headers, and sets no cookie", async () => {
    const noToken = await http(`${serve.url}/api/halt`, { method: "POST" });
    assert.equal(noToken.status, 401);
    const page = await http(`${serve.url}/`);
    assert.equal(page.headers["set-cookie"], undefined);
    const token = /<meta name="withstand-token" content="([^"]+)">/.exec(page.body)?.[1] ?? "";
    assert.ok(token.length >= 20, "the page served on loopback carries the token");
    const wrong = await http(`${serve.url}/api/halt`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    const cross = await http(`${serve.url}/api/halt`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, origin: "http://evil.example" },
    });
    assert.equal(cross.status, 403);
    const rebinding = await http(`${serve.url}/api/runs`, { headers: { host: "evil.example:80" } });
    assert.equal(rebinding.status, 421);
    const rebound = await http(`${serve.url}/`, { headers: { host: "evil.example:80" } });
    assert.doesNotMatch(
      rebound.body,
      /withstand-token/,
      "the page never carries the token for a foreign Host",
    );
    const ok = await http(`${serve.url}/api/halt`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { reverted: [], runsSignalled: [] });
    assert.equal(ok.headers["set-cookie"], undefined);
  });

  it("fails at start with exit 2 when an --slo file is missing or invalid", async () => {
    const r = await runCli(["serve", "--port", "0", "--slo", join(dir, "missing.yaml")], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing\.yaml:1:1: cannot read: no such file/);
    assert.match(r.stderr, /--slo .*missing\.yaml: not a valid OpenSLO file/);
  });

  it("needs --token off loopback, and then every call must carry it", async () => {
    const refused = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--host 0\.0\.0\.0: binding off loopback needs --token/);
    const token = "0123456789abcdef0123";
    const open = await startServe(env, ["--host", "0.0.0.0", "--token", token]);
    try {
      const port = new URL(open.url).port;
      const url = `http://127.0.0.1:${port}`;
      assert.equal((await http(`${url}/api/runs`)).status, 401);
      assert.equal(
        (await http(`${url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      );
      assert.doesNotMatch(
        (await http(`${url}/`)).body,
        /withstand-token/,
        "the token is never handed out off loopback",
      );
    } finally {
      await open.stop();
    }
  });

  it("streams a run started by `withstand run` in another process as server-sent events", async (t) => {
    const victim = startVictim("withstand-sse-victim");
    t.after(() => stopChild(victim));
    const pid = victim.pid ?? 0;
    const file = pauseExperiment(dir, "sse", pid, "500ms", "sse pause");
    const seen: string[] = [];
    const stream = await new Promise<import("node:http").IncomingMessage>((resolve) =>
      request(`${serve.url}/api/events`, (res) => resolve(res)).end(),
    );
    assert.match(String(stream.headers["content-type"]), /text\/event-stream/);
    stream.setEncoding("utf8");
    let buffer = "";
    const gotAll = new Promise<void>((resolve) => {
      stream.on("data", (d: string) => {
        buffer += d;
        for (const m of buffer.matchAll(/event: run-event\ndata: (.*)\n\n/g)) {
          const e = JSON.parse(m[1] ?? "{}") as { type: string; runId: string };
          if (!seen.includes(e.type)) seen.push(e.type);
        }
        if (seen.includes("fault-reverted") && seen.includes("run-finished")) resolve();
      });
    });
    try {
      const run = startCli(["run", file], { env });
      const r = await finished(run);
      assert.equal(r.code, 0, r.stderr);
      await gotAll;
      assert.deepEqual(
        seen.filter((t) => ["run-started", "fault-injected", "fault-reverted", "run-finished"].includes(t)),
        ["run-started", "fault-injected", "fault-reverted", "run-finished"],
      );
      await until(() => stateOf(pid) !== "T", 2000, "the victim to run again");
    } finally {
      stream.destroy();
      victim.kill("SIGKILL");
    }
  });
});

describe("withstand report", () => {
  it("writes a report file, and names the flag or the run when it cannot", async () => {
    const out = join(dir, "r.xml");
    const r = await runCli(["report", "20261120-100004", "--format", "junit", "--out", out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(out, "utf8"), /<testsuites name="withstand"/);
    const bad = await runCli(["report", "20261120-100004", "--format", "pdf"], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format pdf: expected one of html, md, junit, json/);
    const missing = await runCli(["report", "nope"], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /run nope: no such run/);
  });
});
