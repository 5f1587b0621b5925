import { cpus } from "node:os";
import { ConfigError } from "../core/errors.js";
import { defineFaultKind } from "./define.js";
import { type Params, schema } from "./schemas/cpu-stress.js";
import { killStressors, type Stressor, startStressor } from "./stressor.js";

/** The cores a fault names, checked against this machine. */
function coresOf(p: Params, loc: string): number[] {
  const n = cpus().length;
  const chosen =
    p.cores === undefined || p.cores === "all"
      ? Array.from({ length: n }, (_, i) => i)
      : typeof p.cores === "number"
        ? Array.from({ length: p.cores }, (_, i) => i)
        : p.cores;
  const missing = chosen.filter((c) => c >= n);
  if (missing.length > 0)
    throw new ConfigError(
      `${loc}: fault.cores: core ${missing.join(", ")} does not exist (this machine has cores 0-${n - 1})`,
    );
  return chosen;
}

const what = (p: Params, chosen: number[]) =>
  p.mode === "add"
    ? `add ${Math.round(p.load * 100)}% of busy time to core ${chosen.join(", ")} (open loop)`
    : `hold core ${chosen.join(", ")} at ${Math.round(p.load * 100)}% total utilisation (closed loop on /proc/stat)`;

/**
 * Burns CPU with one pinned stressor per core. `hold` (the default) keeps each core's TOTAL
 * utilisation at the target whatever else runs there; `add` adds a fixed share, as stress-ng does.
 */
export const cpuStress = defineFaultKind({
  kind: "cpu-stress",
  summary:
    "hold chosen cores at a total CPU utilisation (closed loop); stopped after duration or at the end of the method",
  schema,
  describe: (p, ctx) => {
    const chosen = coresOf(p, ctx.loc);
    return {
      text: `would ${what(p, chosen)}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}`,
      targets: [{ kind: "host", id: `cpu ${chosen.join(",")}`, label: "" }],
    };
  },
  async inject(p, ctx) {
    const chosen = coresOf(p, ctx.loc);
    const stressors: Stressor[] = [];
    try {
      for (const c of chosen) stressors.push(await startStressor("cpu", [String(c)], [c]));
    } catch (err) {
      killStressors(stressors);
      throw err;
    }
    const record = await ctx.registry.inject(
      {
        kind: "cpu-stress",
        activity: ctx.activity,
        targets: [{ kind: "host", id: `cpu ${chosen.join(",")}`, label: what(p, chosen) }],
        revert: { type: "stop", targets: stressors.map((s) => ({ pid: s.pid, starttime: s.starttime })) },
      },
      () => {
        for (const s of stressors) s.go({ load: p.load, mode: p.mode ?? "hold" });
      },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "cpu-stress",
      cores: chosen,
      load: p.load,
      mode: p.mode ?? "hold",
      stressors: stressors.map((s) => s.pid),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
