/**
 * Pact files as Pact JS (v2, v3, messages), pact-jvm (v3, v4) and pact-go through pact_ffi (v4) write
 * them (our own fixtures, shaped after the files those tools write), verified by `withstand pact
 * verify` against a real provider: the one that honours them passes, a provider that drifts fails
 * with the mismatch named, and message interactions are skipped with a note.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { type SeenRequest, startServer } from "../helpers/http-server.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";

const pacts = [
  "pact-js-v2.json",
  "pact-js-v3.json",
  "pact-js-v3-messages.json",
  "pact-jvm-v3.json",
  "pact-jvm-v4.json",
  "pact-go-v4.json",
].map((f) => fixture("pact", f));

/** The zoo as its consumers expect it; `drift` names one change a careless release would make. */
function zoo(drift: () => string) {
  return (req: SeenRequest, res: ServerResponse) => {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(value));
    };
    const url = new URL(req.url, "http://zoo");
    // The keeper's id comes back as text, as many state handlers answer; the pact says it is an integer.
    if (req.method === "POST" && url.pathname === "/_pact/state") return json(200, { id: 42, keeperId: "7" });
    if (req.method === "GET" && url.pathname === "/keepers/7") return json(200, { id: 7, name: "Sam" });
    if (req.method === "GET" && url.pathname === "/animals/42")
      return json(200, {
        id: drift() === "id" ? "42" : 42,
        name: "Mary",
        species: "alligator",
        born: drift() === "date" ? "02/01/2020" : "2020-01-02",
        registered: "2024-05-06T07:08:09Z",
        tags: ["a", "b"],
      });
    if (req.method === "GET" && url.pathname === "/animals") {
      const ok = url.searchParams.get("species") === "alligator" && url.searchParams.get("limit") === "2";
      return ok
        ? json(200, {
            animals: [
              { id: 1, name: "A" },
              { id: 2, name: "B" },
            ],
            total: 2,
          })
        : json(400, { error: "bad query" });
    }
    if (req.method === "POST" && url.pathname === "/animals") {
      const body = JSON.parse(req.body || "{}") as { name?: string };
      return json(201, { id: 43, name: body.name ?? null }, { location: "/animals/43" });
    }
    if (req.method === "DELETE" && url.pathname === "/animals/42") {
      res.writeHead(drift() === "status" ? 500 : 204).end();
      return;
    }
    if (req.method === "GET" && url.pathname === "/version")
      return json(200, {
        version: drift() === "semver" ? "v1.4" : "1.4.2",
        features: { search: true, export: false },
        build: { commit: "abc1234" },
      });
    if (req.method === "GET" && url.pathname === "/health") {
      res.writeHead(200, { "content-type": "text/plain" }).end("OK");
      return;
    }
    if (req.method === "GET" && url.pathname === "/ping") {
      res.writeHead(200).end();
      return;
    }
    json(404, { error: "not found" });
  };
}

describe("pacts from the field", () => {
  let drift = "";
  let provider: Awaited<ReturnType<typeof startServer>>;
  const { env } = isolatedEnv();
  before(async () => {
    provider = await startServer(zoo(() => drift));
  });
  after(() => provider.close());
  const verify = (...extra: string[]) =>
    runCli(
      [
        "pact",
        "verify",
        ...pacts,
        "--provider-base-url",
        provider.url,
        "--state-change-url",
        `${provider.url}/_pact/state`,
        ...extra,
      ],
      { env },
    );

  it("verifies every HTTP interaction of Pact JS, pact-jvm and pact-go files, and skips messages with a note", async () => {
    drift = "";
    const r = await verify("--json");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as {
      results: {
        consumer: string;
        description: string;
        status: string;
        specification: string;
        error?: string;
      }[];
    };
    const by = (status: string) => out.results.filter((x) => x.status === status).map((x) => x.description);
    assert.deepEqual(by("failed"), []);
    assert.deepEqual(by("error"), []);
    // A pending interaction (v4 `pending: true`) the provider does not honour yet never fails the build.
    assert.deepEqual(by("pending"), ["an export not yet built"]);
    assert.deepEqual(by("not-http").sort(), [
      "a feeding over a queue",
      "an alligator-born event",
      "an alligator-born event",
    ]);
    const messages = out.results.filter((y) => y.status === "not-http");
    assert.deepEqual(messages.map((x) => x.error?.split(" is ")[0]).sort(), [
      "a Synchronous/Messages interaction",
      "an Asynchronous/Messages interaction",
      "an Asynchronous/Messages interaction",
    ]);
    for (const x of messages)
      assert.match(
        x.error ?? "",
        /is not verified over HTTP: verify it with your message provider's own test/,
      );
    assert.equal(by("verified").length, 12, JSON.stringify(out.results, null, 1));
    // pact-jvm records a GET's empty body as {"content": ""}: nothing is sent, and no content type.
    const ping = provider.seen.find((x) => x.url === "/ping");
    assert.equal(ping?.body, "");
    assert.equal(ping?.headers["content-type"], undefined);
    assert.deepEqual([...new Set(out.results.map((x) => x.specification))].sort(), ["2.0.0", "3.0.0", "4.0"]);
  });

  it("names what a drifting provider broke, per tool's pact, and exits 1", async () => {
    const cases: [string, RegExp][] = [
      [
        "id",
        /zoo-web-v2 and zoo Given alligator 42 exists - a request for alligator 42\n.*has a matching body\n\s+\$\.id -> Expected '42' \(String\) to be the same type as 1 \(Integer\)/,
      ],
      [
        "date",
        /zoo-web-v3 and zoo Given an animal exists - a request for an animal by id\n.*has a matching body\n\s+\$\.born -> Expected '02\/01\/2020' to match a date of 'yyyy-MM-dd'/,
      ],
      [
        "status",
        /zoo-app-go and zoo - a removal\n.*has status code\n\s+Expected status code 500 to be a success status/,
      ],
      [
        "semver",
        /zoo-reports-jvm and zoo Given default state - the version of the zoo\n.*has a matching body\n\s+\$\.version -> 'v1\.4' is not a valid semantic version/,
      ],
    ];
    for (const [what, expected] of cases) {
      drift = what;
      const r = await verify();
      assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, expected, `${what}:\n${r.stdout}`);
    }
  });
});
