import { processTarget } from "../core/fault.js";
import { defineFaultKind } from "./define.js";
import { describeProcessFault, selectionOf } from "./process-selection.js";
import { schema } from "./schemas/process-pause.js";
import { resolveTargets } from "./targets.js";

/** Freezes processes with SIGSTOP; reverted with SIGCONT after `duration`, at the end of the method, or on any stop. */
export const processPause = defineFaultKind({
  kind: "process-pause",
  summary: "SIGSTOP matching processes; reverted with SIGCONT after duration or at the end of the method",
  schema,
  describe: (p) => describeProcessFault("process-pause", p.select, selectionOf(p)),
  async inject(p, ctx) {
    const targets = resolveTargets(p.select, selectionOf(p), ctx.loc);
    const record = await ctx.registry.inject(
      {
        kind: "process-pause",
        activity: ctx.activity,
        targets: targets.map((t) => processTarget(t.pid, t.command)),
        revert: { type: "resume", targets: targets.map((t) => ({ pid: t.pid, starttime: t.starttime })) },
      },
      () => {
        for (const t of targets) process.kill(t.pid, "SIGSTOP");
      },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "process-pause",
      targets: targets.map((t) => ({ pid: t.pid, command: t.command })),
      signal: "SIGSTOP",
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
