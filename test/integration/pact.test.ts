import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { type SeenRequest, startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";

/** A provider of alligators; `broken` answers a number where consumers expect a name. */
function alligators(broken: () => boolean) {
  return (req: SeenRequest, res: import("node:http").ServerResponse) => {
    if (req.url === "/_pact/state") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: 42 }));
      return;
    }
    if (req.method === "GET" && req.url === "/alligators/42") {
      res.setHeader("content-type", "application/json; charset=utf-8");
      res.end(JSON.stringify({ id: 42, name: broken() ? 7 : "Mary", tags: ["a", "b"], born: "2020-01-02" }));
      return;
    }
    if (req.method === "GET" && req.url === "/search?q=mary&limit=2") {
      res.setHeader("content-type", "application/xml");
      res.end('<results count="1"><alligator name="Mary"/></results>');
      return;
    }
    if (req.method === "POST" && req.url === "/alligators") {
      res.statusCode = broken() ? 500 : 201;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ created: JSON.parse(req.body || "{}").name ?? null }));
      return;
    }
    res.statusCode = 404;
    res.end();
  };
}

const v2 = {
  consumer: { name: "search-ui" },
  provider: { name: "alligators" },
  metadata: { pactSpecification: { version: "2.0.0" } },
  interactions: [
    {
      description: "a search",
      request: { method: "GET", path: "/search", query: "q=mary&limit=2" },
      response: {
        status: 200,
        headers: { "Content-Type": "application/xml" },
        body: '<results count="9"><alligator name="Someone"/></results>',
        matchingRules: {
          "$.body.results['@count']": { regex: "\\d+" },
          "$.body.results.alligator['@name']": { match: "type" },
        },
      },
    },
  ],
};

const v3 = {
  consumer: { name: "web" },
  provider: { name: "alligators" },
  metadata: { pactSpecification: { version: "3.0.0" } },
  interactions: [
    {
      description: "a request for an alligator",
      providerStates: [{ name: "an alligator exists", params: { kind: "nile" } }],
      request: {
        method: "GET",
        path: "/alligators/1",
        generators: { path: { type: "ProviderState", expression: "/alligators/${id}" } },
      },
      response: {
        status: 200,
        headers: { "Content-Type": "application/json" },
        body: { id: 1, name: "Anna", tags: ["x"], born: "2000-01-01" },
        matchingRules: {
          body: {
            "$.id": { matchers: [{ match: "integer" }] },
            "$.name": { matchers: [{ match: "type" }] },
            "$.tags": { matchers: [{ match: "type", min: 1 }] },
            "$.born": { matchers: [{ match: "date", format: "yyyy-MM-dd" }] },
          },
        },
        generators: { body: { "$.id": { type: "ProviderState", expression: "${id}" } } },
      },
    },
  ],
};

const v4 = {
  consumer: { name: "intake" },
  provider: { name: "alligators" },
  metadata: { pactSpecification: { version: "4.0" } },
  interactions: [
    {
      type: "Synchronous/HTTP",
      description: "a new alligator",
      request: {
        method: "POST",
        path: "/alligators",
        headers: { "Content-Type": "application/json" },
        body: { content: { name: "Bo" }, contentType: "application/json", encoded: false },
      },
      response: {
        status: 201,
        body: { content: { created: "Bo" }, contentType: "application/json", encoded: false },
        matchingRules: { status: { matchers: [{ match: "statusCode", status: "success" }] } },
      },
    },
    {
      type: "Asynchronous/Messages",
      description: "an alligator-born event",
      contents: { content: { id: 1 }, contentType: "application/json" },
    },
  ],
};

describe("withstand pact verify", () => {
  let broken = false;
  let provider: Awaited<ReturnType<typeof startServer>>;
  const { dir, env } = isolatedEnv();
  const files = { v2: join(dir, "v2.json"), v3: join(dir, "v3.json"), v4: join(dir, "v4.json") };
  before(async () => {
    provider = await startServer(alligators(() => broken));
    writeFileSync(files.v2, JSON.stringify(v2, null, 2));
    writeFileSync(files.v3, JSON.stringify(v3, null, 2));
    writeFileSync(files.v4, JSON.stringify(v4, null, 2));
  });
  after(() => provider.close());
  const verify = (...args: string[]) =>
    runCli(
      [
        "pact",
        "verify",
        files.v2,
        files.v3,
        files.v4,
        "--provider-base-url",
        provider.url,
        "--state-change-url",
        `${provider.url}/_pact/state`,
        ...args,
      ],
      { env },
    );

  it("verifies pacts of v2, v3 and v4 against a provider that honours them, and records the run", async () => {
    broken = false;
    const r = await verify();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Verifying a pact between web and alligators \(pact specification 3\.0\.0/);
    assert.match(r.stdout, /GET http:\/\/127\.0\.0\.1:\d+\/alligators\/42/);
    assert.match(r.stdout, /4 interactions: 3 verified, 0 failed, 1 not HTTP \(skipped\)/);
    assert.match(r.stdout, /an Asynchronous\/Messages interaction is not verified over HTTP/);
    const states = provider.seen.filter((s) => s.url === "/_pact/state").map((s) => JSON.parse(s.body));
    assert.deepEqual(states.at(-1), {
      state: "an alligator exists",
      states: ["an alligator exists"],
      params: { kind: "nile" },
      action: "setup",
    });
    const runs = await runCli(["runs", "--json"], { env });
    const list = JSON.parse(runs.stdout).runs as { kind: string; outcome: string; exitCode: number }[];
    assert.equal(list[0]?.kind, "pact");
    assert.equal(list[0]?.outcome, "verified");
  });

  it("fails with exit 1 and names each mismatch, its path, expected and actual, in Pact's words", async () => {
    broken = true;
    const junit = join(dir, "pact.xml");
    const r = await verify("--junit", junit);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /\$\.name -> Expected 7 \(Integer\) to be the same type as 'Anna' \(String\)/);
    assert.match(r.stdout, /Expected status code 500 to be a success status/);
    assert.match(r.stdout, /4 interactions: 1 verified, 2 failed/);
    const xml = readFileSync(junit, "utf8");
    assert.match(
      xml,
      /<testcase classname="pact\.web" name="a request for an alligator"[^>]*>\s*<failure message="\$\.name Expected 7/,
    );
    const json = await verify("--json", "--interaction", "a request for an alligator");
    const out = JSON.parse(json.stdout) as {
      ok: boolean;
      results: { mismatches: { path: string; expected: unknown; actual: unknown }[] }[];
    };
    assert.equal(out.ok, false);
    assert.deepEqual(out.results.length, 1);
    assert.deepEqual(out.results[0]?.mismatches[0], {
      type: "body",
      path: "$.name",
      expected: "Anna",
      actual: 7,
      mismatch: "Expected 7 (Integer) to be the same type as 'Anna' (String)",
    });
  });

  it("runs a state command with the state's name, params and action, and fails the interaction when it fails", async () => {
    broken = false;
    const log = join(dir, "states.log");
    const ok = await runCli(
      [
        "pact",
        "verify",
        files.v3,
        "--provider-base-url",
        provider.url,
        "--state-change-teardown",
        "--state-command",
        `echo "$PACT_STATE_ACTION $PACT_STATE $PACT_STATE_PARAMS" >> ${log}; echo '{"id": 42}'`,
      ],
      { env },
    );
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(
      readFileSync(log, "utf8"),
      'setup an alligator exists {"kind":"nile"}\nteardown an alligator exists {"kind":"nile"}\n',
    );
    const bad = await runCli(
      [
        "pact",
        "verify",
        files.v3,
        "--provider-base-url",
        provider.url,
        "--state-command",
        "echo no >&2; exit 3",
      ],
      { env },
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /the state command exited 3 for "an alligator exists" \(setup\): no/);
  });

  it("refuses bad input with exit 2: a broken file at file:line:col, a missing flag, filters that match nothing", async () => {
    const broken = join(dir, "broken.json");
    writeFileSync(
      broken,
      '{\n  "interactions": [\n    {"description": "x", "request": {"path": "/"}, "response": {}}\n  ]\n}\n',
    );
    const r = await runCli(["pact", "verify", broken, "--provider-base-url", provider.url], { env });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim(),
      `${broken}:3:37: interactions[0].request: expected "method" and "path" strings`,
    );
    const noUrl = await runCli(["pact", "verify", files.v3], { env });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /--provider-base-url: required/);
    const none = await runCli(
      ["pact", "verify", files.v3, "--provider-base-url", provider.url, "--consumer", "nobody"],
      { env },
    );
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no interaction matches the filters/);
  });
});
