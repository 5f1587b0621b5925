import { processTarget } from "../core/fault.js";
import { defineFaultKind } from "./define.js";
import { describeProcessFault, selectionOf } from "./process-selection.js";
import { schema } from "./schemas/process-kill.js";
import { resolveTargets } from "./targets.js";

/** Kills processes with a signal (SIGKILL by default). Nothing to revert: a supervisor must bring them back. */
export const processKill = defineFaultKind({
  kind: "process-kill",
  summary: "send a signal (default SIGKILL) to matching processes; not revertible",
  schema,
  describe: (p) => describeProcessFault("process-kill", p.select, selectionOf(p)),
  async inject(p, ctx) {
    const targets = resolveTargets(p.select, selectionOf(p), ctx.loc);
    const shown = targets.map((t) => processTarget(t.pid, t.command));
    const sig = p.signal ?? "SIGKILL";
    await ctx.registry.inject(
      { kind: "process-kill", activity: ctx.activity, targets: shown, revert: { type: "none" } },
      () => {
        for (const t of targets) process.kill(t.pid, sig);
      },
    );
    return {
      fault: "process-kill",
      targets: targets.map((t) => ({ pid: t.pid, command: t.command })),
      signal: sig,
    };
  },
});
