/**
 * A flag rollout stopped mid-way leaves its variant at 0%, for a thousand real OFREP evaluations:
 * SIGTERM and `withstand halt` roll it back in the runner; after SIGKILL, the flag server undoes the
 * runner's leased step by itself (or the watchdog releases it).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { type FlagRolloutRig, share, startFlagRolloutRig, USERS, usersOf } from "../helpers/flag-rollout.js";
import { exited, stopChild, until } from "../helpers/processes.js";

let rig: FlagRolloutRig;
before(async () => {
  rig = await startFlagRolloutRig();
});
after(() => rig?.close());

describe("a flag rollout stopped mid-way", () => {
  for (const signal of ["SIGTERM", "SIGKILL", "halt"] as const)
    it(`leaves the variant at 0% when the rollout gets ${signal === "halt" ? "withstand halt" : signal} mid-way`, async (t) => {
      const file = rig.rolloutFile(
        signal.toLowerCase(),
        "new",
        `    - setWeight: 30
    - pause: {}
    - setWeight: 60
`,
      );
      const rollout = startCli(["rollout", file], { env: rig.env });
      t.after(() => stopChild(rollout));
      await waitForOutput(rollout, /paused.*step 2/);
      const on = await usersOf("new");
      const mid = (on.length / USERS) * 100;
      assert.ok(Math.abs(mid - 30) < 3.5, `30% step: ${mid}%`);
      if (signal === "halt") assert.equal((await runCli(["halt"], { env: rig.env })).code, 0);
      else rollout.kill(signal);
      await exited(rollout);
      if (signal !== "SIGKILL") assert.equal(rollout.exitCode, 3);
      // SIGKILL: nothing in the runner reverts; the lease runs out on the flag server (or the watchdog).
      await until(async () => (await usersOf("new", on)).length === 0, 10_000, "the variant back at 0%");
      assert.equal(await share("new"), 0);
    });
});
