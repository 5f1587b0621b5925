import { describeTarget } from "../core/fault.js";
import { haltAll } from "../safety/halt.js";

/** `withstand halt`: the kill switch. Destructive by design: it reverts every active fault on this machine. */
export async function haltCommand(flags: { json?: boolean }): Promise<number> {
  const report = await haltAll();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ reverted: report.reverted, runs: report.runsSignalled })}\n`);
    return 0;
  }
  if (report.reverted.length === 0 && report.runsSignalled.length === 0) {
    process.stdout.write("withstand halt: no active faults or runs on this machine\n");
    return 0;
  }
  for (const { fault, how } of report.reverted) {
    const targets = (fault.targets ?? []).map(describeTarget).join(", ");
    process.stdout.write(
      `reverted ${fault.kind} (${fault.activity}, run ${fault.runId}) on ${targets || "no targets"}: ${how}\n`,
    );
  }
  for (const run of report.runsSignalled)
    process.stdout.write(`stopped run ${run.runId} (pid ${run.pid}): ${run.title}\n`);
  return 0;
}
