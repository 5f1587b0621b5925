import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scratch() {
  const iso = isolatedEnv();
  dirs.push(iso.dir);
  return iso;
}

describe("run --dry-run (Chaos Toolkit)", () => {
  it("probes nothing, so it says neither 'steady state met' nor HELD, and waits out no pause", async () => {
    const { dir, env } = scratch();
    const file = join(dir, "ctk.json");
    // An hour of pauses: a dry run that slept them would never end within the test's timeout.
    writeFileSync(
      file,
      JSON.stringify({
        title: "dry",
        description: "a dry run",
        "steady-state-hypothesis": {
          title: "up",
          probes: [
            {
              type: "probe",
              name: "up",
              tolerance: 0,
              provider: { type: "process", path: "true" },
              pauses: { before: 1800 },
            },
          ],
        },
        method: [
          {
            type: "action",
            name: "noop",
            provider: { type: "process", path: "true" },
            pauses: { after: 1800 },
          },
        ],
      }),
    );
    const r = await runCli(["run", file, "--dry-run"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /steady state met/i);
    assert.doesNotMatch(r.stdout, /\bHELD\b/);
    assert.match(r.stdout, /steady state not probed/);
    assert.match(r.stdout, /DRY RUN/);
  });
});

describe("a dead store at the end of a run", () => {
  let pg: TestPostgres | undefined;
  after(() => pg?.stop());

  it("a SIGTERM while the store retries ends the run at once, with a local journal and exit 4", async () => {
    pg = await startPostgres();
    const { dir, env } = scratch();
    const file = join(dir, "exp.json");
    const gate = join(dir, "store-is-down");
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "withstand/v1",
        kind: "Experiment",
        metadata: { name: "dead-store" },
        spec: {
          method: [
            // Waits (bounded) until the test has stopped PostgreSQL and says so with a file.
            {
              type: "action",
              name: "first",
              provider: {
                type: "process",
                path: "sh",
                arguments: [
                  "-c",
                  `for i in $(seq 1 1200); do [ -e ${gate} ] && exit 0; sleep 0.05; done; exit 1`,
                ],
                timeout: 120,
              },
            },
            { type: "action", name: "second", provider: { type: "process", path: "true" } },
          ],
        },
      }),
    );
    // Retries for ten minutes: without the fix the run would sit in them past the test's timeout.
    const child = startCli(["run", file, "--store", pg.freshStore()], {
      env: { ...env, WITHSTAND_STORE_RETRY_MS: "600000" },
    });
    const done = finished(child);
    await waitForOutput(child, /withstand run \d{8}-/);
    pg.down();
    const second = waitForOutput(child, /second/);
    writeFileSync(gate, "");
    await second;
    child.kill("SIGTERM");
    const r = await done;
    assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
    const m = /what the run saw is in (\S+);/.exec(r.stderr);
    assert.ok(m?.[1], r.stderr);
    assert.ok(m[1].startsWith(join(dir, "state", "incomplete")), m[1]);
    assert.ok(existsSync(m[1]));
    const journal = JSON.parse(readFileSync(m[1], "utf8")) as {
      run: { title: string };
      end: { outcome: string };
      events: { type: string }[];
    };
    assert.equal(journal.run.title, "dead-store");
    // The signal came after the method (held) or, on a slow machine, just before the end (interrupted).
    assert.ok(["held", "interrupted"].includes(journal.end.outcome), journal.end.outcome);
    assert.deepEqual([journal.events[0]?.type, journal.events.at(-1)?.type], ["run-started", "run-finished"]);
    pg.up();
  });
});
