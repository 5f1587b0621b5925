import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";

/**
 * Lead time from git: a real repository with commits at known times, rollouts that recorded the
 * revisions they deployed, and `withstand dora --repo` counting every change each deployment shipped
 * (git log PREVIOUS..REVISION) as fourkeys counts every change of a push.
 */
const { dir, env } = isolatedEnv();
const repo = join(dir, "repo");
const DAY = 86_400_000;
const now = Date.now();
const at = (ms: number) => new Date(now - ms).toISOString();
const revs: Record<string, string> = {};

function git(args: string[], date?: string): string {
  return execFileSync("git", ["-C", repo, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.invalid",
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
  }).trim();
}

before(() => {
  mkdirSync(repo);
  git(["init", "-q", "-b", "main"]);
  // c1 ten days ago; c2 and c3 nine days and two and one hours ago; c4 three days ago
  for (const [name, ago] of [
    ["c1", 10 * DAY],
    ["c2", 9 * DAY + 2 * 3_600_000],
    ["c3", 9 * DAY + 3_600_000],
    ["c4", 3 * DAY],
  ] as const) {
    writeFileSync(join(repo, "file.txt"), name);
    git(["add", "file.txt"]);
    git(["commit", "-q", "-m", name], at(ago));
    revs[name] = git(["rev-parse", "HEAD"]);
  }
});

describe("DORA lead time from git", () => {
  const store = join(dir, "dora.db");

  it("counts every change a deployment shipped, from the previous good deployment's revision", async () => {
    const s = openStore(store);
    const runs: [string, number, string, string][] = [
      ["a", 9 * DAY, "promoted", "c1"], // first: its own commit, 1 day
      ["b", 8 * DAY, "rolled-back", "c3"], // a failure ships nothing
      ["c", 2 * DAY, "promoted", "c4"], // c1..c4: c2, c3 and c4
    ];
    for (const [id, ago, outcome, rev] of runs) {
      await s.beginRun({
        id,
        kind: "rollout",
        title: "orders",
        source: "r.yaml",
        startedAt: at(ago + 600_000),
      });
      await s.finishRun(id, {
        status: "completed",
        deviated: outcome !== "promoted",
        outcome,
        exitCode: outcome === "promoted" ? 0 : 1,
        endedAt: at(ago),
        durationMs: 600_000,
        result: { revision: revs[rev] },
      });
    }
    await s.close();
    const plain = JSON.parse(
      (await runCli(["dora", "--since", "30d", "--json", "--store", store], { env })).stdout,
    );
    assert.equal(plain.leadTime.medianMinutes, null, "no commit times without a repository");
    const r = await runCli(["dora", "--since", "30d", "--json", "--store", store, "--repo", repo], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    // leads: a 1 d (1440 min); c: c2 7 d 2 h, c3 7 d 1 h, c4 1 d → median (1440 + 10140) / 2
    assert.equal(out.leadTime.changes, 4);
    assert.equal(Math.round(out.leadTime.medianMinutes), 5790);
    assert.equal(out.leadTime.bucket, "One week");
    const bad = await runCli(["dora", "--store", store, "--repo", dir], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--repo .*: rollout a: git log .*not a git repository/i);
  });

  it("a rollout records the change it deploys: --revision from git, --commit-time, or the document's", async () => {
    const upstream = await startServer((_r, res) => res.end("ok"));
    try {
      const file = join(dir, "r.yaml");
      const doc = (meta: string) =>
        writeFileSync(
          file,
          `apiVersion: withstand/v1
kind: Rollout
metadata: {name: orders${meta}}
spec:
  listen: 127.0.0.1:0
  stable: {url: ${upstream.url}}
  canary: {url: ${upstream.url}}
  steps:
    - setWeight: 100
`,
        );
      const store2 = join(dir, "rollouts.db");
      const last = async () => {
        const list = JSON.parse((await runCli(["runs", "--json", "--store", store2], { env })).stdout) as {
          runs: { id: string }[];
        };
        const shown = JSON.parse(
          (await runCli(["runs", "show", list.runs[0]?.id ?? "", "--json", "--store", store2], { env }))
            .stdout,
        ) as { result: { revision?: string; commitTime?: string; commitFrom?: string } };
        return shown.result;
      };
      doc("");
      const byRev = await runCli(
        ["rollout", file, "--quiet", "--store", store2, "--revision", "HEAD~1", "--repo", repo],
        { env },
      );
      assert.equal(byRev.code, 0, byRev.stdout + byRev.stderr);
      const rec = await last();
      assert.deepEqual(
        [rec.revision, rec.commitTime, rec.commitFrom],
        [revs.c3, at(9 * DAY + 3_600_000).replace(/\.\d+Z$/, ".000Z"), "git"],
      );
      const byFlag = await runCli(
        ["rollout", file, "--quiet", "--store", store2, "--commit-time", "2026-12-01T10:00:00Z"],
        { env },
      );
      assert.equal(byFlag.code, 0, byFlag.stderr);
      assert.equal((await last()).commitTime, "2026-12-01T10:00:00.000Z");
      doc(", annotations: {withstand.dev/commit-time: '2026-12-02T10:00:00Z'}");
      const byDoc = await runCli(["rollout", file, "--quiet", "--store", store2], { env });
      assert.equal(byDoc.code, 0, byDoc.stderr);
      const fromDoc = await last();
      assert.deepEqual([fromDoc.commitTime, fromDoc.commitFrom], ["2026-12-02T10:00:00.000Z", "document"]);
      // A document's revision outside its repository is recorded as it is: dora --repo finds its time.
      doc(`, revision: ${revs.c4}`);
      const elsewhere = await runCli(["rollout", file, "--quiet", "--store", store2], { env, cwd: dir });
      assert.equal(elsewhere.code, 0, elsewhere.stderr);
      assert.match(elsewhere.stderr, /metadata\.revision [0-9a-f]+: no commit time here/);
      const kept = await last();
      assert.deepEqual([kept.revision, kept.commitTime, kept.commitFrom], [revs.c4, undefined, "document"]);
      const dora = JSON.parse(
        (await runCli(["dora", "--store", store2, "--repo", repo, "--json"], { env })).stdout,
      ) as { leadTime: { changes: number } };
      assert.equal(
        dora.leadTime.changes,
        4,
        "three commit times recorded, and c3..c4 looked up in the repository",
      );
      doc(", commitTime: yesterday");
      const bad = await runCli(["rollout", file, "--quiet", "--store", store2], { env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /r\.yaml:3:\d+: metadata\.commitTime: got "yesterday" \(expected a time/);
      // A revision git would read as an option (`--output=FILE` overwrites FILE) never reaches git.
      const victim = join(dir, "victim.txt");
      writeFileSync(victim, "precious");
      doc(`, annotations: {withstand.dev/revision: "--output=${victim}"}`);
      const asDoc = await runCli(["rollout", file, "--quiet", "--store", store2], { env, cwd: repo });
      assert.equal(asDoc.code, 2, asDoc.stderr);
      assert.match(
        asDoc.stderr,
        /r\.yaml:3:\d+: metadata\.annotations\.withstand\.dev\/revision: "--output=.*" starts with "-"/,
      );
      doc("");
      const asFlag = await runCli(
        ["rollout", file, "--quiet", "--store", store2, "--revision", `--output=${victim}`, "--repo", repo],
        { env },
      );
      assert.equal(asFlag.code, 2, asFlag.stderr);
      assert.match(asFlag.stderr, /--revision "--output=.*" starts with "-"/);
      assert.equal(readFileSync(victim, "utf8"), "precious");
    } finally {
      await upstream.close();
    }
  });
});
