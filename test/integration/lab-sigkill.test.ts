import assert from "node:assert/strict";
import { it } from "node:test";
import { killRound } from "../helpers/lab-sigkill.js";

const root = process.getuid?.() === 0;

it("SIGKILLed runners (lab up and its fault injectors) leave no namespace, table, qdisc or process of the lab", {
  skip: !root && "needs root",
}, async () => {
  // Three random moments: while the faults are being injected, with some in force, with all in force.
  for (const waitFor of [0, 1 + Math.floor(Math.random() * 2), 3]) {
    const delay = Math.round(Math.random() * 300);
    const r = await killRound(waitFor, delay);
    assert.ok(r.faultsActive >= waitFor);
    process.stdout.write(
      `# SIGKILL ${delay} ms after ${waitFor} faults were in force (${r.faultsActive}/3 at the kill): lab ${r.id} gone ${r.cleanMs.toFixed(0)} ms later\n`,
    );
  }
  // The lab lives on, only the injectors die: their watchdogs delete the tables, classes and SIGSTOPs.
  const r = await killRound(3, Math.round(Math.random() * 300), true);
  process.stdout.write(
    `# injectors SIGKILLed with ${r.faultsActive}/3 faults in force: all reverted ${r.cleanMs.toFixed(0)} ms later, lab alive\n`,
  );
});
