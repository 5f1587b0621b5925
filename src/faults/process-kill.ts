import { z } from "zod";
import { processTarget } from "../core/fault.js";
import { defineFaultKind } from "./define.js";
import { checkSelection, describeProcessFault, selectionFields, selectionOf } from "./process-selection.js";
import { resolveTargets } from "./targets.js";

const SIGNALS = [
  "SIGKILL",
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGUSR1",
  "SIGUSR2",
  "SIGABRT",
] as const;

const signal = z.unknown().transform((v, ctx) => {
  const text = String(v ?? "SIGKILL").toUpperCase();
  const name = text.startsWith("SIG") ? text : `SIG${text}`;
  if ((SIGNALS as readonly string[]).includes(name)) return name as NodeJS.Signals;
  ctx.addIssue({
    code: "custom",
    message: `got ${JSON.stringify(v)} (expected one of ${SIGNALS.join(", ")})`,
  });
  return z.NEVER;
});

const schema = z
  .strictObject({ ...selectionFields, signal: signal.optional() })
  .superRefine(checkSelection, { when: () => true });

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
