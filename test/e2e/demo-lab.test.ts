import assert from "node:assert/strict";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

const root = process.getuid?.() === 0;

it("withstand demo --only lab: zone a down holds for the robust system and deviates for the fragile one; a partition takes the retry path; no lab is left", {
  skip: !root && "needs root",
}, async () => {
  const { env } = isolatedEnv();
  const r = await runCli(["demo", "--only", "lab", "--json"], { env });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const finished = r.stdout
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as { type: string; results?: { scenario: string; outcome: string; runId: string }[] },
    )
    .find((e) => e.type === "demo-finished");
  assert.deepEqual(
    finished?.results?.map((x) => [x.scenario, x.outcome]),
    [
      ["lab-zone-down", "held"],
      ["lab-zone-down-fragile", "deviated"],
      ["lab-partition", "held"],
    ],
  );
  // The labs went with their runs (a lab's record is removed only after its namespaces were deleted).
  const shown = await runCli(["lab", "status", "--json"], { env });
  assert.deepEqual((JSON.parse(shown.stdout) as { labs: unknown[] }).labs, []);
  // While orders-b was cut off from inventory-b, its orders went through the retry path (inventory-a).
  const partition = finished?.results?.find((x) => x.scenario === "lab-partition");
  const shownRun = await runCli(["runs", "show", partition?.runId ?? "", "--json"], { env });
  const journal = JSON.parse(shownRun.stdout) as { journal: { run: { output?: { stdout?: string } }[] } };
  const during = JSON.parse(journal.journal.run[1]?.output?.stdout ?? "{}") as {
    ok: number;
    retried: number;
  };
  assert.equal(during.ok, 12);
  assert.ok(during.retried > 0, `retried ${during.retried}`);
});
