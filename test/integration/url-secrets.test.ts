/**
 * A secret substituted into an HTTP probe URL (#25 item 6): the server gets the right user, password
 * and query value, and the secret appears in no output, journal, run record, report or store byte,
 * in any encoding a URL can give it.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { json, startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";

const SECRET = "p@ss/w:rd?x#y%z+q w&k=v";

function encodings(secret: string): string[] {
  const url = new URL("http://h/");
  url.username = secret;
  const user = url.username;
  url.search = `?${secret}`;
  const query = url.search.slice(1);
  url.pathname = secret;
  const path = url.pathname.slice(1);
  return [
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    new URLSearchParams({ t: secret }).toString().slice(2),
    user,
    query,
    path,
    Buffer.from(`bob:${secret}`).toString("base64"),
    Buffer.from(secret).toString("base64").replace(/=+$/, ""),
    JSON.stringify(secret).slice(1, -1),
  ];
}

let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  server = await startServer((req, res) => {
    const u = new URL(req.url, "http://x");
    if (u.pathname === "/query") return json(res, u.searchParams.get("t") === SECRET ? 200 : 401, {});
    if (u.pathname === "/basic") {
      const auth = req.headers.authorization ?? "";
      const decoded = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString("utf8");
      return json(res, decoded === `bob:${SECRET}` ? 200 : 401, {});
    }
    return json(res, 404, {});
  });
});
after(() => server.close());

describe("secrets in HTTP probe URLs", () => {
  it("reach the server encoded for their component and leak nowhere", async () => {
    const { dir, env } = isolatedEnv();
    const file = join(dir, "exp.json");
    const probe = (name: string, url: string) => ({
      type: "probe",
      name,
      tolerance: 200,
      provider: { type: "http", url, timeout: 5, secrets: ["app"] },
    });
    writeFileSync(
      file,
      JSON.stringify({
        title: "url secrets",
        description: "a token in a query and in user info",
        secrets: { app: { token: { type: "env", key: "APP_TOKEN" } } },
        "steady-state-hypothesis": {
          title: "server accepts the token",
          probes: [
            probe("query", `${server.url}/query?t=\${token}`),
            probe("basic", `http://bob:\${token}@127.0.0.1:${server.port}/basic`),
          ],
        },
        configuration: { base_url: server.url },
        method: [probe("query-again", "${base_url}/query?t=${token}&other=1")],
      }),
    );
    const journalPath = join(dir, "journal.json");
    const childEnv = { ...env, APP_TOKEN: SECRET };
    const run = await runCli(["run", file, "--journal-path", journalPath], { env: childEnv });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const hits = server.seen.filter((r) => r.url.startsWith("/query") || r.url.startsWith("/basic"));
    assert.ok(hits.length >= 4, `server saw ${hits.length} requests`);
    for (const hit of hits) {
      const u = new URL(hit.url, "http://x");
      if (u.pathname === "/query") assert.equal(u.searchParams.get("t"), SECRET, hit.url);
      else
        assert.equal(hit.headers.authorization, `Basic ${Buffer.from(`bob:${SECRET}`).toString("base64")}`);
    }
    assert.ok(
      hits.some((h) => h.url.includes("other=1")),
      "the method's probe reached the server",
    );

    const list = await runCli(["runs", "--json"], { env: childEnv });
    const id = (JSON.parse(list.stdout) as { runs: Array<{ id: string }> }).runs[0]?.id;
    assert.ok(id, list.stdout);
    const show = await runCli(["runs", "show", id, "--json"], { env: childEnv });
    assert.equal(show.code, 0, show.stderr);
    const report = await runCli(["report", id, "--format", "json"], { env: childEnv });
    assert.equal(report.code, 0, report.stderr);
    const journal = readFileSync(journalPath, "utf8");
    assert.match(journal, /"status": ?"succeeded"/);
    const store = readFileSync(env.WITHSTAND_STORE as string).toString("latin1");

    const places: Record<string, string> = {
      "run stdout": run.stdout,
      "run stderr": run.stderr,
      journal,
      "runs show --json": show.stdout + show.stderr,
      "report --format json": report.stdout + report.stderr,
      store,
    };
    for (const [where, text] of Object.entries(places))
      for (const enc of encodings(SECRET))
        assert.ok(!text.includes(enc), `${where} holds the secret as ${JSON.stringify(enc)}`);
  });
});
