/**
 * `withstand flags serve` as OFREP clients see it: the real CLI against flagd's own evaluator
 * (flagd-core in this process) for thousands of random contexts, OFREP's status codes and error
 * codes, ETag/304, CORS, the token on changes, the audit log, reloads (a broken edit keeps the last
 * good flags), and OpenFeature's own OFREP providers for Node and the browser evaluating through it.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FlagdCore } from "@openfeature/flagd-core";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import { OpenFeature as WebOpenFeature, type Provider as WebProvider } from "@openfeature/web-sdk";
import fc from "fast-check";
import { runCli } from "../helpers/cli.js";
import { FLAGS, type FlagsServer, ofrep, patchFlag, startFlags, TOKEN } from "../helpers/flags.js";
import { isolatedEnv } from "../helpers/paths.js";
import { until } from "../helpers/processes.js";

const silent = { error() {}, warn() {}, info() {}, debug() {} };

/** What flagd-core in-process says, in OFREP's shape (a success without value defers to the code default). */
function expected(core: FlagdCore, key: string, ctx: Record<string, unknown>): Record<string, unknown> {
  const first = Object.values(FLAGS.flags[key as keyof typeof FLAGS.flags].variants)[0];
  const type = typeof first as "boolean" | "string" | "number" | "object";
  const r = core.resolve(
    type,
    key,
    (type === "boolean" ? false : type === "number" ? -1 : type === "string" ? "" : {}) as never,
    ctx as never,
  );
  if (r.reason === "ERROR") return { key, errorCode: r.errorCode };
  if (r.reason === "DISABLED" || r.variant === undefined) return { key, reason: r.reason };
  return { key, value: r.value, variant: r.variant, reason: r.reason };
}

function shape(body: Record<string, unknown> | undefined): Record<string, unknown> {
  const b = body ?? {};
  if ("errorCode" in b) return { key: b.key, errorCode: b.errorCode };
  if (!("value" in b)) return { key: b.key, reason: b.reason };
  return { key: b.key, value: b.value, variant: b.variant, reason: b.reason };
}

const context = fc.record(
  {
    targetingKey: fc.oneof(fc.constantFrom("user-1", "user-2", ""), fc.string(), fc.uuid()),
    email: fc.oneof(
      fc.constantFrom("beta.tester@x.io", "ann@shop.example", "bob@other.org"),
      fc.emailAddress(),
    ),
    country: fc.constantFrom("NO", "SE", "DK", "US", "DE"),
    tier: fc.constantFrom("gold", "silver", "bronze"),
    age: fc.integer({ min: 0, max: 99 }),
    version: fc.oneof(
      fc.constantFrom("2.1.0", "v2.2", "1.9.9", "2", "not-a-version", "3.0.0-rc.1"),
      fc.string(),
    ),
  },
  { requiredKeys: [] },
);

describe("withstand flags serve (OFREP)", () => {
  let server: FlagsServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const core = new FlagdCore(undefined, silent);
  core.setConfigurations(JSON.stringify(FLAGS));

  before(async () => {
    ({ dir, env } = isolatedEnv());
    server = await startFlags(dir, env, { args: ["--cors-origin", "http://app.example:5173"] });
  });
  after(() => server.stop());

  it("gives the value, variant and reason flagd-core gives in-process, for 1,500 random contexts (bulk and single)", async () => {
    const keys = Object.keys(FLAGS.flags);
    let evaluations = 0;
    await fc.assert(
      fc.asyncProperty(context, fc.constantFrom(...keys), async (ctx, key) => {
        const bulk = await ofrep(server.url, "/ofrep/v1/evaluate/flags", { context: ctx });
        assert.equal(bulk.status, 200);
        const got = ((bulk.body?.flags ?? []) as Record<string, unknown>[]).map(shape);
        assert.deepEqual(
          got,
          keys.map((k) => expected(core, k, ctx)),
        );
        const one = await ofrep(server.url, `/ofrep/v1/evaluate/flags/${key}`, { context: ctx });
        const want = expected(core, key, ctx);
        assert.deepEqual(shape(one.body), want);
        assert.equal(one.status, "errorCode" in want ? 400 : 200);
        evaluations += keys.length + 1;
      }),
      { numRuns: 1500 },
    );
    assert.ok(evaluations >= 15_000);
  });

  it("answers OFREP's error codes with OFREP's statuses", async () => {
    const nf = await ofrep(server.url, "/ofrep/v1/evaluate/flags/missing", { context: {} });
    assert.equal(nf.status, 404);
    assert.equal(nf.body?.errorCode, "FLAG_NOT_FOUND");
    assert.equal(nf.body?.key, "missing");
    const parse = await ofrep(server.url, "/ofrep/v1/evaluate/flags/color", "{not json");
    assert.deepEqual([parse.status, parse.body?.errorCode, parse.body?.key], [400, "PARSE_ERROR", "color"]);
    const ctx = await ofrep(server.url, "/ofrep/v1/evaluate/flags/color", { context: [1, 2] });
    assert.deepEqual([ctx.status, ctx.body?.errorCode], [400, "INVALID_CONTEXT"]);
    const tk = await ofrep(server.url, "/ofrep/v1/evaluate/flags/color", { context: { targetingKey: 42 } });
    assert.deepEqual([tk.status, tk.body?.errorCode], [400, "INVALID_CONTEXT"]);
    const bulkBad = await ofrep(server.url, "/ofrep/v1/evaluate/flags", { context: "x" });
    assert.deepEqual(
      [bulkBad.status, bulkBad.body?.errorCode, "key" in (bulkBad.body ?? {})],
      [400, "INVALID_CONTEXT", false],
    );
    const general = await ofrep(server.url, "/ofrep/v1/evaluate/flags/bad-variant", {
      context: { tier: "silver" },
    });
    assert.deepEqual([general.status, general.body?.errorCode], [400, "GENERAL"]);
    const disabled = await ofrep(server.url, "/ofrep/v1/evaluate/flags/disabled-bool", { context: {} });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body?.reason, "DISABLED");
    assert.equal("value" in (disabled.body ?? {}), false, "a disabled flag defers to the code default");
    const get = await fetch(`${server.url}/ofrep/v1/evaluate/flags/color`);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  });

  it("requires a targetingKey only when told to (TARGETING_KEY_MISSING)", async () => {
    const strict = await startFlags(dir, env, {
      files: [join(dir, "flags.json")],
      args: ["--require-targeting-key"],
    });
    try {
      const one = await ofrep(strict.url, "/ofrep/v1/evaluate/flags/color", { context: { email: "a@b.c" } });
      assert.deepEqual([one.status, one.body?.errorCode], [400, "TARGETING_KEY_MISSING"]);
      const bulk = await ofrep(strict.url, "/ofrep/v1/evaluate/flags", { context: {} });
      assert.deepEqual([bulk.status, bulk.body?.errorCode], [400, "TARGETING_KEY_MISSING"]);
      const ok = await ofrep(strict.url, "/ofrep/v1/evaluate/flags/color", {
        context: { targetingKey: "u" },
      });
      assert.equal(ok.status, 200);
    } finally {
      await strict.stop();
    }
  });

  it("answers a bulk request whose ETag still matches with 304, and a new ETag once a flag changes", async () => {
    const ctx = { context: { targetingKey: "etag-user" } };
    const first = await ofrep(server.url, "/ofrep/v1/evaluate/flags", ctx);
    const etag = first.headers.get("etag") ?? "";
    assert.match(etag, /^".+"$/);
    const again = await ofrep(server.url, "/ofrep/v1/evaluate/flags", ctx, { "if-none-match": etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, undefined);
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(
      (await patchFlag(server.url, "static-bool", { variant: "off", reason: "etag test" })).status,
      200,
    );
    try {
      const changed = await ofrep(server.url, "/ofrep/v1/evaluate/flags", ctx, { "if-none-match": etag });
      assert.equal(changed.status, 200);
      assert.notEqual(changed.headers.get("etag"), etag);
    } finally {
      await patchFlag(server.url, "static-bool", { variant: "on" });
    }
    const conf = await fetch(`${server.url}/ofrep/v1/configuration`);
    const body = (await conf.json()) as {
      capabilities: { cacheInvalidation: { polling: { enabled: boolean; minPollingIntervalMs: number } } };
    };
    assert.deepEqual(body.capabilities.cacheInvalidation.polling, {
      enabled: true,
      minPollingIntervalMs: 500,
    });
    const conf304 = await fetch(`${server.url}/ofrep/v1/configuration`, {
      headers: { "if-none-match": conf.headers.get("etag") ?? "" },
    });
    assert.equal(conf304.status, 304);
  });

  it("lets browsers of the configured origins only call OFREP (CORS), and no origin change flags", async () => {
    const pre = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,if-none-match",
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "http://app.example:5173");
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /If-None-Match/i);
    const ok = await ofrep(
      server.url,
      "/ofrep/v1/evaluate/flags",
      { context: {} },
      { origin: "http://app.example:5173" },
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "http://app.example:5173");
    assert.match(ok.headers.get("access-control-expose-headers") ?? "", /ETag/i);
    const evil = await ofrep(
      server.url,
      "/ofrep/v1/evaluate/flags",
      { context: {} },
      { origin: "http://evil.example" },
    );
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get("access-control-allow-origin"), null);
    const patch = await fetch(`${server.url}/api/flags/recommendations`, {
      method: "PATCH",
      headers: {
        origin: "http://app.example:5173",
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ variant: "off" }),
    });
    assert.equal(patch.status, 403);
    // fetch cannot set Host: a raw request plays the DNS-rebound browser.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/ofrep/v1/configuration`,
        { headers: { host: "attacker.example:80" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    assert.equal(rebound, 421);
  });

  it("changes a flag only with the token, and audits who, what, when and why (flags set, flags log)", async (t) => {
    t.after(() => patchFlag(server.url, "recommendations", { variant: "on", reason: "resolved" }));
    const denied = await patchFlag(server.url, "recommendations", { variant: "off" }, "");
    assert.equal(denied.status, 401);
    const wrong = await patchFlag(server.url, "recommendations", { variant: "off" }, "not-the-token-at-all");
    assert.equal(wrong.status, 401);
    const set = await runCli(
      [
        "flags",
        "set",
        "recommendations",
        "--variant",
        "off",
        "--reason",
        "INC-7 overload",
        "--server",
        server.url,
        "--token",
        TOKEN,
      ],
      { env },
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /recommendations: ENABLED variant on -> ENABLED variant off \(by ops\)/);
    const now = await ofrep(server.url, "/ofrep/v1/evaluate/flags/recommendations", { context: {} });
    assert.deepEqual([now.body?.value, now.body?.variant], [false, "off"]);
    const listing = (await (await fetch(`${server.url}/api/flags`)).json()) as {
      flags: Record<string, unknown>[];
    };
    const entry = listing.flags.find((f) => f.key === "recommendations");
    assert.deepEqual(
      [entry?.state, entry?.defaultVariant, entry?.overridden, entry?.file],
      ["ENABLED", "off", { defaultVariant: "off" }, join(dir, "flags.json")],
    );
    assert.deepEqual(listing.flags.find((f) => f.key === "new-pricing")?.weights, { on: 20, off: 80 });
    const unknown = await runCli(
      ["flags", "set", "recommendations", "--variant", "of", "--server", server.url, "--token", TOKEN],
      { env },
    );
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown variant "of" of recommendations \(expected one of on, off\)/);
    const log = await runCli(["flags", "log", "recommendations", "--json"], { env });
    assert.equal(log.code, 0, log.stderr);
    const changes = (JSON.parse(log.stdout) as { changes: Record<string, unknown>[] }).changes;
    assert.equal(changes.length, 1, "the refused change is not audited");
    assert.deepEqual(
      { ...changes[0], ts: undefined, server: undefined },
      {
        ts: undefined,
        server: undefined,
        flag: "recommendations",
        actor: "ops",
        before: { state: "ENABLED", defaultVariant: "on" },
        after: { state: "ENABLED", defaultVariant: "off" },
        reason: "INC-7 overload",
      },
    );
    const text = await runCli(["flags", "log"], { env });
    assert.match(
      text.stdout,
      /recommendations {2}ops {2}ENABLED variant on -> ENABLED variant off {2}\(INC-7 overload\)/,
    );
  });

  it("answers 413 to a change whose body is over the limit, and 400 to weights that sum to 0", async () => {
    const big = await patchFlag(server.url, "new-pricing", {
      reason: "x".repeat(2 * 1024 * 1024),
      state: "ENABLED",
    });
    assert.equal(big.status, 413);
    assert.match(String(big.body.error), /larger than 1 MiB/);
    const zero = await patchFlag(server.url, "new-pricing", { weights: { on: 0, off: 0 } });
    assert.equal(zero.status, 400);
    assert.match(String(zero.body.error), /weights would sum to 0/);
  });

  it("refuses --token NAME=SECRET whose secret is short, rather than taking it for one bare secret (exit 2)", async () => {
    const file = join(dir, "token.json");
    writeFileSync(file, JSON.stringify({ flags: { banner: FLAGS.flags["static-bool"] } }));
    const r = await runCli(["flags", "serve", file, "--port", "0", "--token", "ops=short-secret1"], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /--token: ops=\.\.\.: the token after "=" has 13 characters \(expected at least 16/,
    );
  });

  it("reports a broken edit at file:line:col and keeps the last good flags; applies and audits a good one", async () => {
    const file = join(dir, "reload.json");
    writeFileSync(file, JSON.stringify({ flags: { banner: FLAGS.flags["static-bool"] } }, null, 2));
    const s = await startFlags(dir, env, { files: [file] });
    try {
      const broken = readFileSync(file, "utf8").replace(
        '"defaultVariant": "on"',
        '"defaultVariant": "maybe"',
      );
      writeFileSync(file, broken);
      await until(
        () => /reload refused[\s\S]*unknown variant/.test(s.stderr()),
        10_000,
        "the reload to be refused",
      );
      const line = broken.split("\n").findIndex((l) => l.includes('"maybe"')) + 1;
      assert.match(
        s.stderr(),
        new RegExp(`reload\\.json:${line}:\\d+: flags\\.banner\\.defaultVariant: unknown variant "maybe"`),
      );
      const still = await ofrep(s.url, "/ofrep/v1/evaluate/flags/banner", { context: {} });
      assert.deepEqual([still.body?.value, still.body?.variant], [true, "on"]);
      writeFileSync(file, broken.replace('"maybe"', '"off"'));
      await until(
        async () =>
          (await ofrep(s.url, "/ofrep/v1/evaluate/flags/banner", { context: {} })).body?.variant === "off",
        10_000,
        "the good edit",
      );
      const log = await runCli(["flags", "log", "banner", "--json"], { env });
      const [change] = (JSON.parse(log.stdout) as { changes: Record<string, unknown>[] }).changes;
      assert.equal(change?.actor, "file");
      assert.deepEqual(
        [change?.before, change?.after],
        [
          { state: "ENABLED", defaultVariant: "on" },
          { state: "ENABLED", defaultVariant: "off" },
        ],
      );
    } finally {
      await s.stop();
    }
  });

  it("follows a Kubernetes ConfigMap volume's update (a ..data symlink swapped, the file's name untouched)", async () => {
    const vol = join(dir, "configmap");
    const write = (version: string, variant: string) => {
      mkdirSync(join(vol, version), { recursive: true });
      writeFileSync(
        join(vol, version, "flags.json"),
        JSON.stringify({ flags: { banner: { ...FLAGS.flags["static-bool"], defaultVariant: variant } } }),
      );
    };
    write("v1", "on");
    symlinkSync("v1", join(vol, "..data"));
    symlinkSync(join("..data", "flags.json"), join(vol, "flags.json"));
    const s = await startFlags(dir, env, { files: [join(vol, "flags.json")] });
    try {
      assert.equal(
        (await ofrep(s.url, "/ofrep/v1/evaluate/flags/banner", { context: {} })).body?.variant,
        "on",
      );
      write("v2", "off");
      symlinkSync("v2", join(vol, "..data_tmp"));
      renameSync(join(vol, "..data_tmp"), join(vol, "..data"));
      await until(
        async () =>
          (await ofrep(s.url, "/ofrep/v1/evaluate/flags/banner", { context: {} })).body?.variant === "off",
        10_000,
        "the swapped ConfigMap to be read",
      );
    } finally {
      await s.stop();
    }
  });

  it("refuses to start on a file flagd-core would reject as a whole (exit 2), at file:line:col", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(
      file,
      "flags:\n  a:\n    state: ON\n    variants: {on: true, off: false}\n    defaultVariant: off\n",
    );
    const r = await runCli(["flags", "serve", file, "--port", "0"], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken\.yaml:3:12: flags\.a\.state: got "ON" \(expected ENABLED or DISABLED\)/);
  });

  it("serves a file whose flag rules are broken as flagd does (PARSE_ERROR), reports them, and refuses an edit that breaks more", async () => {
    const file = join(dir, "rules.yaml");
    const text =
      "flags:\n  a:\n    state: ENABLED\n    variants: {on: true, off: false}\n    defaultVariant: off\n    targeting:\n      fractional:\n        - [on, twenty]\n        - [off, 80]\n  b:\n    state: ENABLED\n    variants: {on: true, off: false}\n    defaultVariant: on\n    targeting: {if: [{$ref: nowhere}, on, off]}\n";
    writeFileSync(file, text);
    const s = await startFlags(dir, env, { files: [file] });
    try {
      assert.match(
        s.stderr(),
        /rules\.yaml:8:\d+: flags\.a\.targeting\.fractional\[0\]\[1\]: weight: got "twenty"/,
      );
      assert.match(
        s.stderr(),
        /rules\.yaml:14:\d+: flags\.b\.targeting\.if\[0\]\.\$ref: no evaluator "nowhere"/,
      );
      const a = await ofrep(s.url, "/ofrep/v1/evaluate/flags/a", { context: { targetingKey: "u" } });
      const b = await ofrep(s.url, "/ofrep/v1/evaluate/flags/b", { context: {} });
      assert.deepEqual([a.status, a.body?.reason, a.body?.variant], [200, "DEFAULT", "off"]);
      assert.deepEqual([b.status, b.body?.errorCode], [400, "PARSE_ERROR"]);
      // The same problems again plus a flag switched off: applied. A new broken rule: refused.
      writeFileSync(file, text.replace("defaultVariant: on", "defaultVariant: off"));
      await until(
        async () =>
          (await ofrep(s.url, "/ofrep/v1/evaluate/flags/b", { context: {} })).status === 400 &&
          /reloaded/.test(s.stderr()),
        10_000,
        "the reload",
      );
      writeFileSync(file, text.replace("[on, twenty]", "[on, {frobnicate: 1}]"));
      await until(
        () => /reload refused[\s\S]*frobnicate/.test(s.stderr()),
        10_000,
        "the reload to be refused",
      );
      assert.match(
        s.stderr(),
        /rules\.yaml:8:\d+: flags\.a\.targeting\.fractional\[0\]\[1\]: invalid JsonLogic/,
      );
    } finally {
      await s.stop();
    }
  });

  it("serves OpenFeature's Node OFREP provider unchanged", async () => {
    await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: server.url }));
    try {
      const client = OpenFeature.getClient();
      const staff = await client.getStringDetails("color", "none", {
        targetingKey: "a",
        email: "ann@shop.example",
      });
      assert.deepEqual(
        [staff.value, staff.variant, staff.reason, staff.flagMetadata.owner],
        ["blue", "blue", "TARGETING_MATCH", "web"],
      );
      for (const targetingKey of ["u-1", "u-2", "u-3", "u-4"]) {
        const d = await client.getBooleanDetails("new-pricing", true, { targetingKey });
        const want = core.resolveBooleanEvaluation("new-pricing", true, { targetingKey });
        assert.deepEqual([d.value, d.variant, d.reason], [want.value, want.variant, want.reason]);
      }
      const obj = await client.getObjectDetails("beta-ui", {}, { targetingKey: "x", email: "beta@x.io" });
      assert.deepEqual(obj.value, { theme: "dark", beta: true });
      const num = await client.getNumberValue("max-items", 0, { targetingKey: "x", tier: "gold" });
      assert.equal(num, core.resolveNumberEvaluation("max-items", 0, { tier: "gold" }).value);
      const missing = await client.getBooleanDetails("missing", true, { targetingKey: "x" });
      assert.deepEqual([missing.value, missing.errorCode], [true, "FLAG_NOT_FOUND"]);
      // A disabled flag gives the code default (this provider version reads the value-less success as an error).
      assert.equal(await client.getBooleanValue("disabled-bool", false, {}), false);
      assert.equal(await client.getBooleanValue("disabled-bool", true, {}), true);
    } finally {
      await OpenFeature.close();
    }
  });

  it("serves OpenFeature's browser OFREP provider, which sees a `flags set` at its next poll", async (t) => {
    await WebOpenFeature.setContext({ targetingKey: "web-user" });
    await WebOpenFeature.setProviderAndWait(
      new OFREPWebProvider({ baseUrl: server.url, pollInterval: 500 }) as unknown as WebProvider,
    );
    try {
      const client = WebOpenFeature.getClient();
      assert.equal(client.getBooleanValue("recommendations", false), true);
      assert.equal(client.getBooleanDetails("disabled-bool", true).reason, "DISABLED");
      assert.equal(client.getBooleanValue("disabled-bool", true), true);
      const start = Date.now();
      const set = await runCli(
        ["flags", "set", "recommendations", "--variant", "off", "--server", server.url, "--token", TOKEN],
        { env },
      );
      assert.equal(set.code, 0, set.stderr);
      await until(
        () => client.getBooleanValue("recommendations", true) === false,
        10_000,
        "the browser client to see the flip",
      );
      t.diagnostic(
        `flags set -> browser client's changed evaluation: ${Date.now() - start} ms (poll interval 500 ms)`,
      );
    } finally {
      await patchFlag(server.url, "recommendations", { variant: "on" });
      await WebOpenFeature.close();
    }
  });
});

describe("withstand flags serve with flagd's own kinds of files", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    ({ dir, env } = isolatedEnv());
  });
  const flag = (extra: Record<string, unknown> = {}) => ({
    state: "ENABLED",
    variants: { on: true, off: false },
    defaultVariant: "on",
    ...extra,
  });
  const metadataOf = async (url: string, key: string) =>
    (await ofrep(url, `/ofrep/v1/evaluate/flags/${key}`, { context: {} })).body?.metadata;

  it("gives each flag its own file's metadata under its own, never another file's (three files)", async () => {
    const files = ["a.json", "b.json", "c.json"].map((f) => join(dir, f));
    writeFileSync(
      files[0] as string,
      JSON.stringify({
        metadata: { flagSetId: "checkout", team: "web" },
        flags: { a1: flag({ metadata: { owner: "ann" } }) },
      }),
    );
    writeFileSync(files[1] as string, JSON.stringify({ flags: { b1: flag() } }));
    writeFileSync(
      files[2] as string,
      JSON.stringify({ metadata: { flagSetId: "search", version: 4 }, flags: { c1: flag() } }),
    );
    const s = await startFlags(dir, env, { files });
    try {
      assert.deepEqual(await metadataOf(s.url, "a1"), { flagSetId: "checkout", team: "web", owner: "ann" });
      assert.deepEqual(await metadataOf(s.url, "b1"), {});
      assert.deepEqual(await metadataOf(s.url, "c1"), { flagSetId: "search", version: 4 });
      const bulk = await ofrep(s.url, "/ofrep/v1/evaluate/flags", { context: {} });
      const byKey = Object.fromEntries(
        ((bulk.body?.flags ?? []) as Record<string, unknown>[]).map((f) => [f.key, f.metadata]),
      );
      assert.deepEqual(byKey, {
        a1: { flagSetId: "checkout", team: "web", owner: "ann" },
        b1: {},
        c1: { flagSetId: "search", version: 4 },
      });
      assert.deepEqual(bulk.body?.metadata, {}, "the files share no metadata");
    } finally {
      await s.stop();
    }
  });

  it("serves flagd's list form, and a flag with mixed variant types or an unknown key with a warning at file:line:col", async () => {
    const file = join(dir, "testbed.json");
    const text = JSON.stringify(
      {
        $schema: "https://flagd.dev/schema/v0/flagd.json",
        flags: [
          { key: "boolean-flag", ...flag(), descripton: "a typo flagd ignores" },
          { key: "mixed-flag", state: "ENABLED", variants: { on: true, off: "no" }, defaultVariant: "off" },
        ],
      },
      null,
      2,
    );
    writeFileSync(file, text);
    const lines = text.split("\n");
    const line = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const validate = await runCli(["validate", file], { env });
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /valid flagd flag definitions \(2 flags: boolean-flag, mixed-flag\)/);
    assert.match(
      validate.stderr,
      new RegExp(
        `testbed\\.json:${line('"descripton"')}:\\d+: warning: flags\\[0\\]\\.descripton: unknown key`,
      ),
    );
    const mixedVariants =
      lines.findIndex((l, i) => i >= line('"mixed-flag"') && l.includes('"variants"')) + 1;
    assert.match(
      validate.stderr,
      new RegExp(
        `testbed\\.json:${mixedVariants}:\\d+: warning: flags\\[1\\]\\.variants: variants mix types \\(boolean, string\\)`,
      ),
    );
    const s = await startFlags(dir, env, { files: [file] });
    try {
      assert.match(s.stderr(), /testbed\.json:\d+:\d+: warning: flags\[0\]\.descripton: unknown key/);
      assert.match(s.stderr(), /testbed\.json:\d+:\d+: warning: flags\[1\]\.variants: variants mix types/);
      const b = await ofrep(s.url, "/ofrep/v1/evaluate/flags/boolean-flag", { context: {} });
      assert.deepEqual([b.status, b.body?.value, b.body?.variant], [200, true, "on"]);
      const m = await ofrep(s.url, "/ofrep/v1/evaluate/flags/mixed-flag", { context: {} });
      assert.deepEqual([m.status, m.body?.value, m.body?.variant], [200, "no", "off"]);
    } finally {
      await s.stop();
    }
  });

  it("validate reads a flagd file missing a flag's state as a flag file, and names the missing state (exit 2)", async () => {
    const file = join(dir, "nostate.json");
    writeFileSync(
      file,
      '{\n  "flags": {\n    "f": {\n      "variants": {"on": true, "off": false},\n      "defaultVariant": "on"\n    }\n  }\n}\n',
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /nostate\.json:3:10: flags\.f\.state: is required \(expected ENABLED or DISABLED\)/,
    );
    assert.doesNotMatch(r.stderr + r.stdout, /Chaos Toolkit/);
    const serve = await runCli(["flags", "serve", file, "--port", "0"], { env });
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /nostate\.json:3:10: flags\.f\.state: is required/);
  });

  it("takes the token in the form the server was given it (NAME=TOKEN) from flags set, and says what it wants when refused", async () => {
    const s = await startFlags(dir, env, { flags: { flags: { banner: flag() } } });
    try {
      const set = await runCli(
        ["flags", "set", "banner", "--variant", "off", "--server", s.url, "--token", `ops=${TOKEN}`],
        { env },
      );
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /banner: ENABLED variant on -> ENABLED variant off \(by ops\)/);
      const fromEnv = await runCli(["flags", "set", "banner", "--variant", "on", "--server", s.url], {
        env: { ...env, WITHSTAND_FLAGS_TOKEN: `ops=${TOKEN}` },
      });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
      const wrong = await runCli(["flags", "set", "banner", "--variant", "off", "--server", s.url], {
        env: { ...env, WITHSTAND_FLAGS_TOKEN: "ops=not-the-token-of-this-server" },
      });
      assert.equal(wrong.code, 2);
      assert.match(
        wrong.stderr,
        /flags set banner: the server refused the token in WITHSTAND_FLAGS_TOKEN .*expected one of the server's --token values, TOKEN or NAME=TOKEN/,
      );
    } finally {
      await s.stop();
    }
  });
});

describe("withstand flags serve: flagd's evaluation API (flagd.evaluation.v1.Service, Connect JSON over HTTP/1.1)", () => {
  let server: FlagsServer;
  const core = new FlagdCore(undefined, silent);
  core.setConfigurations(JSON.stringify(FLAGS));
  const shop = { flagSetId: "shop", version: 3 };

  before(async () => {
    const { dir, env } = isolatedEnv();
    server = await startFlags(dir, env);
  });
  after(() => server.stop());

  /** A request as flagd's docs `curl` it. */
  async function resolve(method: string, body: unknown, init: RequestInit = {}) {
    const res = await fetch(`${server.url}/flagd.evaluation.v1.Service/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  it("resolves each type as flagd does: protobuf JSON (zero values left out, int64 as a string), with metadata", async () => {
    assert.deepEqual(await resolve("ResolveBoolean", { flagKey: "static-bool" }), {
      status: 200,
      body: { value: true, reason: "STATIC", variant: "on", metadata: shop },
    });
    for (const targetingKey of ["u-1", "u-2", "u-3", "u-4", "u-5", "u-6"]) {
      const want = core.resolveBooleanEvaluation("new-pricing", true, { targetingKey });
      const got = await resolve("ResolveBoolean", { flagKey: "new-pricing", context: { targetingKey } });
      assert.deepEqual(got.body, {
        ...(want.value ? { value: true } : {}),
        reason: want.reason,
        variant: want.variant,
        metadata: shop,
      });
    }
    assert.deepEqual(
      (await resolve("ResolveString", { flagKey: "color", context: { email: "ann@shop.example" } })).body,
      { value: "blue", reason: "TARGETING_MATCH", variant: "blue", metadata: { ...shop, owner: "web" } },
    );
    const ctx = { targetingKey: "x", tier: "gold" };
    const number = core.resolveNumberEvaluation("max-items", 0, ctx);
    const int = await resolve("ResolveInt", { flagKey: "max-items", context: ctx });
    assert.deepEqual(int.body, {
      value: String(Math.trunc(number.value)),
      reason: number.reason,
      variant: number.variant,
      metadata: shop,
    });
    const float = await resolve("ResolveFloat", { flagKey: "max-items", context: ctx });
    assert.equal(float.body?.value, number.value);
    assert.deepEqual(
      (await resolve("ResolveObject", { flagKey: "beta-ui", context: { email: "beta@x.io" } })).body,
      { value: { theme: "dark", beta: true }, reason: "TARGETING_MATCH", variant: "yes", metadata: shop },
    );
    assert.deepEqual(await resolve("ResolveBoolean", { flagKey: "disabled-bool" }), {
      status: 200,
      body: { reason: "DISABLED", metadata: shop },
    });
  });

  it("answers Connect errors with flagd's codes, messages and HTTP statuses", async () => {
    assert.deepEqual(await resolve("ResolveBoolean", { flagKey: "missing" }), {
      status: 404,
      body: { code: "not_found", message: "Flag not found" },
    });
    assert.deepEqual(await resolve("ResolveString", { flagKey: "static-bool" }), {
      status: 400,
      body: { code: "invalid_argument", message: "Type mismatch error" },
    });
    // flagd's v1 service: nothing to give (no default variant, targeting gave null) is not found.
    assert.deepEqual(await resolve("ResolveString", { flagKey: "no-default", context: { age: 10 } }), {
      status: 404,
      body: { code: "not_found", message: "Flag not found" },
    });
    assert.deepEqual(
      (await resolve("ResolveString", { flagKey: "no-default", context: { age: 50 } })).body?.variant,
      "b",
    );
    assert.deepEqual(
      await resolve("ResolveString", { flagKey: "bad-variant", context: { tier: "silver" } }),
      {
        status: 500,
        body: { code: "unknown", message: "General error" },
      },
    );
    const bad = await resolve("ResolveBoolean", "{not json");
    assert.deepEqual([bad.status, bad.body?.code], [400, "invalid_argument"]);
    const ctx = await resolve("ResolveBoolean", { flagKey: "static-bool", context: [1] });
    assert.deepEqual([ctx.status, ctx.body?.code], [400, "invalid_argument"]);
    const form = await resolve("ResolveBoolean", '{"flagKey":"static-bool"}', {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 415);
    assert.equal((await resolve("ResolveBoolean", undefined, { method: "GET", body: null })).status, 405);
    const unknown = await resolve("ResolveBool", { flagKey: "static-bool" });
    assert.deepEqual([unknown.status, unknown.body?.code], [404, "unimplemented"]);
  });

  it("resolves all flags typed by their default variant, leaving out flags without one (ResolveAll)", async () => {
    const r = await resolve("ResolveAll", { context: { targetingKey: "u-1", email: "ann@shop.example" } });
    assert.equal(r.status, 200);
    const flags = r.body?.flags as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(flags).sort(), [
      "app-version",
      "bad-variant",
      "color",
      "disabled-bool",
      "max-items",
      "new-pricing",
      "recommendations",
      "static-bool",
    ]);
    assert.deepEqual(flags["static-bool"], {
      reason: "STATIC",
      variant: "on",
      boolValue: true,
      metadata: shop,
    });
    assert.deepEqual(flags["disabled-bool"], { reason: "DISABLED", boolValue: false, metadata: shop });
    assert.deepEqual(flags.color, {
      reason: "TARGETING_MATCH",
      variant: "blue",
      stringValue: "blue",
      metadata: { ...shop, owner: "web" },
    });
    const items = core.resolveNumberEvaluation("max-items", 0, { targetingKey: "u-1" });
    assert.deepEqual(flags["max-items"]?.doubleValue, items.value);
    assert.deepEqual(r.body?.metadata, shop);
  });
});
