import { existsSync } from "node:fs";
import { ConfigError, TargetError } from "../core/errors.js";
import type { FaultTarget } from "../core/fault.js";
import {
  affected,
  clockDir,
  clockFile,
  clockOf,
  clocks,
  INSTALL_FAKETIME,
  libfaketime,
  processesOn,
  validClockName,
  writeOffset,
} from "../platform/faketime.js";
import { untrustedDir } from "../platform/state-dir.js";
import { defineFaultKind } from "./define.js";
import { type Params, schema } from "./schemas/clock-skew.js";
import { resolveTargets } from "./targets.js";

/**
 * The clocks a fault moves, refusing what it would not reach: a process not started through
 * withstand, or one where libfaketime is not loaded (a static binary, Go).
 */
function clocksOf(p: Params, loc: string): { names: string[]; targets: FaultTarget[] } {
  if (!libfaketime())
    throw new ConfigError(
      `${loc}: clock-skew needs libfaketime, which is not installed (${INSTALL_FAKETIME})`,
    );
  if ((p.clock === undefined) === (p.select === undefined))
    throw new ConfigError(
      `${loc}: clock-skew: expected exactly one of clock (a withstand exec --as name) or select ({pid}, {command}, {port})`,
    );
  const why = existsSync(clockDir()) ? untrustedDir(clockDir()) : undefined;
  if (why)
    throw new ConfigError(
      `${loc}: clock-skew: the clock directory ${clockDir()} ${why}; refusing to use it (expected a directory owned by you with mode 0700; remove it or set WITHSTAND_STATE_DIR)`,
    );
  if (p.clock !== undefined) {
    if (!validClockName(p.clock) || !existsSync(clockFile(p.clock))) {
      const known = clocks();
      throw new TargetError(
        `fault.clock: no clock named ${p.clock}${known.length > 0 ? ` (clocks: ${known.join(", ")})` : ""}: start the process with \`withstand exec --as ${p.clock} -- COMMAND\``,
        loc,
      );
    }
    const procs = processesOn(p.clock);
    const blind = procs.filter((x) => !x.affected);
    if (blind.length > 0)
      throw new TargetError(
        `fault.clock: libfaketime is not loaded in ${blind.map((b) => `process ${b.pid}`).join(", ")} on clock ${p.clock} (a static binary or Go program): the skew would not apply to it`,
        loc,
      );
    return {
      names: [p.clock],
      targets: [
        {
          kind: "host",
          id: `clock ${p.clock}`,
          label: `${procs.length} process${procs.length === 1 ? "" : "es"}`,
        },
      ],
    };
  }
  const matched = resolveTargets(p.select as NonNullable<Params["select"]>, { mode: "all" }, loc);
  const names = new Set<string>();
  for (const proc of matched) {
    const name = clockOfProcess(proc.pid);
    if (name === undefined)
      throw new TargetError(
        `fault.select: process ${proc.pid} (${proc.command.slice(0, 60)}) was not started through withstand, so its clock cannot be moved; start it with \`withstand exec --as NAME -- ...\``,
        loc,
      );
    if (!affected(proc.pid))
      throw new TargetError(
        `fault.select: libfaketime is not loaded in process ${proc.pid} (a static binary or Go program): the skew would not apply`,
        loc,
      );
    names.add(name);
  }
  return {
    names: [...names],
    targets: matched.map((m) => ({ kind: "process", id: String(m.pid), label: m.command })),
  };
}

/** The clock a process runs on, when that clock still exists (its file is where faults write). */
function clockOfProcess(pid: number): string | undefined {
  const name = clockOf(pid);
  return name !== undefined && clocks().includes(name) ? name : undefined;
}

/**
 * Moves the wall clock of processes started through withstand (libfaketime preloaded by `withstand
 * exec`, rollouts and the demo) by an offset; the revert writes +0 back. Nothing else on the machine
 * sees the skew.
 */
export const clockSkew = defineFaultKind({
  kind: "clock-skew",
  summary:
    "move the wall clock of processes started through withstand (libfaketime); set back after duration or at the end of the method",
  schema,
  describe: (p, ctx) => {
    const { names, targets } = clocksOf(p, ctx.loc);
    return {
      text: `would move clock ${names.join(", ")} by ${p.offset}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}`,
      targets,
    };
  },
  async inject(p, ctx) {
    const { names, targets } = clocksOf(p, ctx.loc);
    const record = await ctx.registry.inject(
      { kind: "clock-skew", activity: ctx.activity, targets, revert: { type: "clock", clocks: names } },
      () => {
        for (const n of names) writeOffset(clockFile(n), p.offset);
      },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "clock-skew",
      clocks: names,
      offset: p.offset,
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
