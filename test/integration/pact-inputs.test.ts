/**
 * What a new user's real pact files from pact-jvm and Pact JS exposed: provider state values a
 * `ProviderState` generator names by a bare key, a path template whose value the state does not
 * give, a matcher or regex in the file that cannot work, and a pact that records no interactions.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { json, type SeenRequest, startServer } from "../helpers/http-server.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";

/** A profile provider whose state change hands out the user id the consumer must then use. */
function profiles(req: SeenRequest, res: import("node:http").ServerResponse) {
  if (req.url === "/_pact/state") {
    const s = JSON.parse(req.body || "{}") as { state?: string };
    return json(res, 200, s.state === "a user with injectable values" ? { userId: 666 } : {});
  }
  if (req.method === "POST" && req.url === "/values") {
    const userId = (JSON.parse(req.body || "{}") as { userId?: unknown }).userId;
    if (userId !== 666) return json(res, 400, { error: `no user ${JSON.stringify(userId)}` });
    res.writeHead(200, {
      "content-type": "application/json; charset=UTF-8",
      location: "http://server/users/666",
    });
    res.end(JSON.stringify({ userId: 666, userName: "Test" }));
    return;
  }
  if (req.method === "GET" && req.url === "/textresult/1234") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("done");
    return;
  }
  json(res, 404, { error: "not found" });
}

const pactWithRule = (rule: unknown) =>
  `${JSON.stringify(
    {
      consumer: { name: "web" },
      provider: { name: "ProfileService" },
      interactions: [
        {
          description: "a request for a profile",
          request: { method: "GET", path: "/textresult/1234" },
          response: { status: 200, body: { a: "x" }, matchingRules: { body: { "$.a": rule } } },
        },
      ],
      metadata: { pactSpecification: { version: "3.0.0" } },
    },
    null,
    2,
  )}\n`;

describe("pact files from a new user's pact-jvm and Pact JS", () => {
  let provider: Awaited<ReturnType<typeof startServer>>;
  const { dir, env } = isolatedEnv();
  before(async () => {
    provider = await startServer(profiles);
  });
  after(() => provider.close());
  const verify = (...args: string[]) =>
    runCli(
      [
        "pact",
        "verify",
        ...args,
        "--provider-base-url",
        provider.url,
        "--state-change-url",
        `${provider.url}/_pact/state`,
        "--json",
      ],
      { env },
    );

  it("sends the provider state's value for a bare-key expression, and keeps the example a template has no value for", async () => {
    const r = await verify(fixture("pact", "pact-jvm-v3-provider-state.json"));
    const sent = provider.seen.filter((s) => s.url !== "/_pact/state");
    assert.deepEqual(
      sent.map((s) => `${s.method} ${s.url} ${s.body}`),
      ['POST /values {"userId":666}', "GET /textresult/1234 "],
      r.stderr,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { verified: number; failed: number };
    assert.deepEqual([out.verified, out.failed], [2, 0]);
  });

  it("refuses a matcher it does not know and a regex that does not compile at file:line:col, exit 2, sending nothing", async () => {
    const cases: [string, unknown, string, RegExp][] = [
      [
        "typo.json",
        { matchers: [{ match: "typo" }] },
        "match",
        /unknown matcher "typo" \(expected one of: equality, regex, type/,
      ],
      [
        "regex.json",
        { matchers: [{ match: "regex", regex: "([" }] },
        "regex",
        /the regex "\(\[" does not compile \(.+\); expected a regular expression/,
      ],
    ];
    for (const [name, rule, field, message] of cases) {
      const file = join(dir, name);
      const text = pactWithRule(rule);
      writeFileSync(file, text);
      const seenBefore = provider.seen.length;
      const r = await verify(file);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.equal(provider.seen.length, seenBefore, "nothing is sent for a pact file that is wrong");
      const lines = text.split("\n");
      const line = lines.findIndex((l) => l.includes(`"${field}": "`)) + 1;
      const col = (lines[line - 1] ?? "").indexOf(`"${field}"`) + `"${field}": `.length + 1;
      const diag = r.stderr.trim();
      assert.ok(
        diag.startsWith(
          `${file}:${line}:${col}: interactions[0].response.matchingRules.body.$.a.matchers[0].${field}: `,
        ),
        diag,
      );
      assert.match(diag, message);
      assert.doesNotMatch(r.stdout, /contract/);
    }
  });

  it("passes a pact with no interactions with a warning, as pact_verifier does, and still verifies the others", async () => {
    const empty = fixture("pact", "pact-jvm-v3-empty.json");
    const alone = await verify(empty);
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(
      alone.stderr,
      /warning: .*pact-jvm-v3-empty\.json: the pact between Ledger Consumer and Accounts has no interactions \(nothing to verify\)/,
    );
    assert.doesNotMatch(alone.stderr, /filters/);
    assert.deepEqual((JSON.parse(alone.stdout) as { results: unknown[] }).results, []);
    const both = await verify(empty, fixture("pact", "pact-jvm-v3-provider-state.json"));
    assert.equal(both.code, 0, both.stderr);
    assert.equal((JSON.parse(both.stdout) as { verified: number }).verified, 2);
    const filtered = await verify(empty, "--consumer", "nobody");
    assert.equal(filtered.code, 2);
    assert.match(filtered.stderr, /no interaction matches the filters/);
  });
});
