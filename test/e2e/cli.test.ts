import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { json, startServer } from "../helpers/http-server.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";

const { dir, env } = isolatedEnv();
let server: Awaited<ReturnType<typeof startServer>>;
let up = true;

before(async () => {
  server = await startServer((req, res) =>
    json(res, req.url.startsWith("/health") && !up ? 503 : 200, {
      ok: up,
      // An echo, as many services do in errors: the secret comes back URL-encoded.
      ...(req.url.startsWith("/echo") ? { url: req.url, auth: req.headers.authorization ?? null } : {}),
    }),
  );
});
after(() => server.close());

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const experiment = (hypothesisPath = "/health") =>
  write(
    `exp-${hypothesisPath.replace(/\W/g, "")}.yaml`,
    `title: service stays up
description: e2e
configuration:
  base: http://127.0.0.1:1
steady-state-hypothesis:
  title: up
  probes:
    - type: probe
      name: health
      tolerance: 200
      provider: {type: http, url: "\${base}${hypothesisPath}"}
method:
  - type: action
    name: noop
    provider: {type: process, path: "true"}
`,
  );

describe("withstand CLI", () => {
  it("refuses a store URL it cannot open (exit 2, no password shown) instead of creating a file named after it", async () => {
    const { dir, env } = isolatedEnv();
    const r = await runCli(["runs", "--store", "postgres://team:hunter2@127.0.0.1:1/withstand"], {
      env,
      cwd: dir,
    });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^withstand: error WS_STORE_UNREACHABLE: --store postgres:\/\/team:\*\*\*@127\.0\.0\.1:1\/withstand: cannot reach the PostgreSQL store: connect ECONNREFUSED 127\.0\.0\.1:1\n$/,
    );
    assert.equal(existsSync(join(dir, "postgres:")), false);
    const other = await runCli(["runs", "--store", "mysql://x/y"], { env, cwd: dir });
    assert.equal(other.code, 2);
    assert.match(other.stderr, /unknown store scheme mysql:\/\//);
  });

  it("never shows a secret on stderr, in the journal, the store or a report, in any encoding", async () => {
    const { env } = isolatedEnv();
    const secret = "hunter2 very/secret&x";
    const basic = Buffer.from(`deploy:${secret}`).toString("base64");
    const file = write(
      "leaky.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: leaky}
spec:
  secrets:
    s: {token: ${JSON.stringify(secret)}}
  method:
    - type: probe
      name: echo
      provider:
        type: http
        url: "${server.url}/echo"
        arguments: {t: "\${token}"}
        headers: {authorization: "Basic ${basic}"}
        secrets: [s]
    - type: action
      name: kill-by-secret
      fault: {kind: process-kill, select: {command: "\${token}"}}
`,
    );
    const journalPath = join(dir, "leaky-journal.json");
    const r = await runCli(["run", file, "--journal-path", journalPath], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /withstand: error WS_TARGET_NO_MATCH: .*leaky\.yaml:\d+:\d+: fault\.select: command "\*\*\*" matched no process/,
    );
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout).runs;
    const shown = await runCli(["runs", "show", runs[0].id, "--json"], { env });
    const md = await runCli(["report", runs[0].id, "--format", "md"], { env });
    const seen = server.seen.find((q) => q.url.startsWith("/echo"));
    assert.ok(
      seen?.url.includes(encodeURIComponent(secret).replace(/%20/g, "+")) ||
        seen?.url.includes(encodeURIComponent(secret)),
    );
    for (const [where, text] of [
      ["stderr", r.stderr],
      ["stdout", r.stdout],
      ["store", shown.stdout],
      ["report", md.stdout],
      ["journal", readFileSync(journalPath, "utf8")],
    ] as const) {
      for (const form of [
        secret,
        encodeURIComponent(secret),
        new URLSearchParams({ t: secret }).toString().slice(2),
        basic,
      ])
        assert.ok(!text.includes(form), `${where} shows ${form}`);
    }
  });

  it("validate never crashes on hostile input: nesting bombs, huge files, control characters, complex keys (exit 2 or 0, never 134)", async () => {
    const { env } = isolatedEnv();
    const bomb = await runCli(["validate", write("bomb.json", "[".repeat(1000))], { env });
    assert.equal(bomb.code, 2);
    assert.match(bomb.stderr, /bomb\.json:1:65: nests deeper than 64 levels/);
    const dashes = await runCli(["validate", write("dashes.yaml", `${"- ".repeat(1000)}x\n`)], { env });
    assert.equal(dashes.code, 2);
    assert.match(dashes.stderr, /dashes\.yaml:1:129: block sequences nest deeper than 64 levels/);
    const big = await runCli(["validate", write("big.yaml", `a: ${"x".repeat(2_000_000)}\n`)], { env });
    assert.equal(big.code, 2);
    assert.match(big.stderr, /big\.yaml:1:1: cannot read: is 2000004 bytes, over the limit of 1048576 bytes/);
    const raised = await runCli(["validate", join(dir, "big.yaml")], {
      env: { ...env, WITHSTAND_MAX_DOCUMENT_BYTES: "4000000" },
    });
    assert.doesNotMatch(raised.stderr, /over the limit/);
    const odd = await runCli(
      ["validate", write("odd.json", '{"title":"t","description":"d","method":[],"k\\u001b[31m":1}')],
      { env },
    );
    assert.equal(odd.code, 0, odd.stderr);
    assert.match(odd.stderr, /k\\u001b\[31m: unknown key/);
    const complex = await runCli(
      ["validate", write("complex.yaml", "title: t\ndescription: d\nmethod: []\n? [a, b]\n: 1\n")],
      {
        env,
      },
    );
    assert.equal(complex.code, 0);
    assert.doesNotMatch(complex.stderr, /Warning|trace-warnings/);
  });

  it("--var-file FILE.env sets environment variables that {type: env} configuration reads (Chaos Toolkit's load_dotenv)", async () => {
    const { env } = isolatedEnv();
    const file = write(
      "env-config.yaml",
      `title: reads the environment
description: e2e
configuration:
  base: {type: env, key: WITHSTAND_TEST_BASE_URL}
steady-state-hypothesis:
  title: up
  probes:
    - {type: probe, name: health, tolerance: 200, provider: {type: http, url: "\${base}/health"}}
method:
  - {type: action, name: noop, provider: {type: process, path: "true"}}
`,
    );
    const dotenv = write("vars.env", `# from a .env file\nexport WITHSTAND_TEST_BASE_URL="${server.url}"\n`);
    const r = await runCli(["run", file, "--var-file", dotenv], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const missing = await runCli(["run", file], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /WITHSTAND_TEST_BASE_URL/);
  });

  it("runs --status takes the outcome the table shows, and an ambiguous prefix lists its matches", async () => {
    const { env } = isolatedEnv();
    const held = experiment();
    const run = () => runCli(["run", held, "--var", `base=${server.url}`, "--quiet"], { env });
    for (let i = 0; i < 2; i++) assert.equal((await run()).code, 0);
    up = false;
    try {
      assert.equal((await run()).code, 1);
    } finally {
      up = true;
    }
    const list = async (status: string) =>
      JSON.parse((await runCli(["runs", "--status", status, "--json"], { env })).stdout).runs as {
        outcome: string;
      }[];
    assert.deepEqual(
      (await list("held")).map((r) => r.outcome),
      ["held", "held"],
    );
    assert.deepEqual((await list("hypothesis-unmet-before-method")).length, 1);
    const bad = await runCli(["runs", "--status", "helt"], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--status helt: expected one of running, .*held/);
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    const ambiguous = await runCli(["runs", "show", day], { env });
    assert.equal(ambiguous.code, 2);
    assert.match(
      ambiguous.stderr,
      new RegExp(`runs show ${day}: the prefix matches 3 runs \\(expected one\\): ${day}-`),
    );
  });

  it("an internal error exits 70 and says it is a bug, never 1", async () => {
    const { env } = isolatedEnv();
    const r = await runCli(["runs"], { env: { ...env, WITHSTAND_TEST_CRASH: "1" } });
    assert.equal(r.code, 70, r.stderr);
    assert.match(r.stderr, /^withstand: internal error WS_INTERNAL: this is a bug in withstand/);
  });

  it("validate: exit 0 for valid files and 2 with file:line:col for invalid ones", async () => {
    const ok = await runCli(["validate", fixture("ctk", "unresponsive-service.json")], { env });
    assert.equal(ok.code, 0);
    assert.match(
      ok.stdout,
      /unresponsive-service\.json: valid Chaos Toolkit experiment "The quote service keeps answering while its storage is slow" \(1 hypothesis probes, 2 method activities, 1 rollbacks\)/,
    );
    const bad = await runCli(["validate", fixture("ctk", "typo.yaml"), fixture("ctk", "bad.yaml")], { env });
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /typo\.yaml:3:1: warning: steady - state - hypothesis: unknown key, ignored \(did you mean steady-state-hypothesis\?\)/,
    );
    assert.match(
      bad.stderr,
      /bad\.yaml:13:11: method\[1\]\.type: got "acton" \(expected "probe" or "action"\)/,
    );
    const missing = await runCli(["validate", join(dir, "nope.yaml")], { env });
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      `${join(dir, "nope.yaml")}:1:1: cannot read: no such file (expected an experiment file in YAML or JSON)\n`,
    );
  });

  it("rejects unknown flags and bad flag values with exit 2 and the flag's name", async () => {
    const unknown = await runCli(["run", "--no-such-flag", "x.yaml"], { env });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "withstand: error WS_USAGE: unknown option '--no-such-flag'\n");
    const strategy = await runCli(["run", experiment(), "--rollback-strategy", "sometimes"], { env });
    assert.equal(strategy.code, 2);
    assert.equal(
      strategy.stderr,
      "withstand: error WS_USAGE: --rollback-strategy sometimes: expected one of default, always, never, deviated\n",
    );
    const v = await runCli(["run", experiment(), "--var", "port:int=abc"], { env });
    assert.equal(v.code, 2);
    assert.equal(v.stderr, 'withstand: error WS_USAGE: --var port:int=abc: "abc" is not an integer\n');
    const noCommand = await runCli(["explode"], { env });
    assert.equal(noCommand.code, 2);
  });

  it("run: exit 0 when the hypothesis holds, 1 when it is not met, with --var, --journal-path and the store", async () => {
    const journalPath = join(dir, "journal.json");
    up = true;
    const held = await runCli(
      ["run", experiment(), "--var", `base=${server.url}`, "--journal-path", journalPath],
      { env },
    );
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /verdict {12}HELD steady state held \(run [\w-]+, exit 0\)/);
    const journal = JSON.parse(readFileSync(journalPath, "utf8"));
    assert.equal(journal.status, "completed");
    assert.equal(journal.steady_states.before.steady_state_met, true);

    up = false;
    const unmet = await runCli(["run", experiment(), "--var", `base=${server.url}`, "--quiet"], { env });
    up = true;
    assert.equal(unmet.code, 1);
    assert.match(
      unmet.stdout,
      /^NOT MET BEFORE METHOD steady state not met before the method \(probe health\); the method was not run \(run [\w-]+, exit 1\)\n$/,
    );

    const list = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
      runs: { id: string; outcome: string; title: string }[];
    };
    assert.deepEqual(
      list.runs.slice(0, 2).map((r) => r.outcome),
      ["hypothesis-unmet-before-method", "held"],
    );
    const id = list.runs[1]?.id ?? "";
    const show = await runCli(["runs", "show", id.slice(0, 18)], { env });
    assert.equal(show.code, 0);
    assert.match(show.stdout, new RegExp(`^run {7}${id}\\ntitle {5}service stays up\\n`));
    const detail = JSON.parse((await runCli(["runs", "show", id, "--json"], { env })).stdout);
    assert.equal(detail.journal.withstand.run_id, id);
    assert.deepEqual(
      detail.events.map((e: { type: string }) => e.type),
      [
        "run-started",
        "activity-started",
        "activity-finished",
        "hypothesis-checked",
        "activity-started",
        "activity-finished",
        "activity-started",
        "activity-finished",
        "hypothesis-checked",
        "run-finished",
      ],
    );
    const none = await runCli(["runs", "show", "no-such-run"], { env });
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr,
      "withstand: error WS_RUN_NOT_FOUND: runs show no-such-run: no run with that id or unique prefix (see `withstand runs`)\n",
    );
  });

  it("--json streams NDJSON events ending with run-finished", async () => {
    const r = await runCli(["run", experiment(), "--var", `base=${server.url}`, "--json"], { env });
    assert.equal(r.code, 0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(events[0].type, "run-started");
    assert.equal(events.at(-1).type, "run-finished");
    assert.equal(events.at(-1).exitCode, 0);
  });

  it("reports invalid documents on run with exit 2 and runs nothing", async () => {
    const r = await runCli(["run", fixture("ctk", "bad.yaml")], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.split("\n").filter(Boolean).length, 6);
  });

  it("has --help with examples on every command", async () => {
    for (const cmd of ["run", "validate", "halt", "runs", "demo"]) {
      const r = await runCli([cmd, "--help"], { env });
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, /Examples:/, cmd);
    }
  });
});
