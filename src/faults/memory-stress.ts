import { readFileSync } from "node:fs";
import { bytesOf, formatBytes, type Size } from "../core/size.js";
import { oomKills } from "../platform/processes.js";
import { defineFaultKind } from "./define.js";
import { schema } from "./schemas/memory-stress.js";
import { killStressors, startStressor } from "./stressor.js";

/** MemTotal and MemAvailable from /proc/meminfo, in bytes. */
function meminfo(): { total: number; available: number } {
  const text = readFileSync("/proc/meminfo", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { total: kb("MemTotal"), available: kb("MemAvailable") };
}

const target = (s: Size) => bytesOf(s, meminfo().total);

/**
 * Holds memory in a stressor process: allocated over `ramp`, every page touched, kept until stopped.
 * The stressor's oom_score_adj is 1000, so the OOM killer takes it first; if it is killed or an
 * allocation fails, the fault's result says how far it got.
 */
export const memoryStress = defineFaultKind({
  kind: "memory-stress",
  summary:
    "hold resident memory in a stressor the OOM killer picks first; stopped after duration or at the end of the method",
  schema,
  describe: (p) => {
    const bytes = target(p.size);
    const { available } = meminfo();
    return {
      text: `would hold ${formatBytes(bytes)} resident${p.ramp ? ` (reached over ${p.ramp / 1000}s)` : ""}${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}${bytes > available ? ` — more than the ${formatBytes(available)} available: the OOM killer will stop the stressor first` : ""}`,
      targets: [{ kind: "host", id: "memory", label: formatBytes(bytes) }],
    };
  },
  async inject(p, ctx) {
    const bytes = target(p.size);
    const oomBefore = oomKills();
    const stressor = await startStressor("memory", []);
    let ended: { code: number | null; signal: NodeJS.Signals | null; oom: boolean } | undefined;
    void stressor.exited.then(({ code, signal }) => {
      const after = oomKills();
      ended = { code, signal, oom: signal === "SIGKILL" && after !== undefined && after !== oomBefore };
    });
    // Asked before the revert stops the stressor: ended is set only if something else stopped it.
    const failure = () => {
      const reached = typeof stressor.latest.reached === "number" ? stressor.latest.reached : 0;
      const of = `at ${formatBytes(reached)} of ${formatBytes(bytes)}`;
      if (ended)
        return `the fault did not hold its size: its stressor was killed ${of}${ended.oom ? " by the kernel's OOM killer" : ` (${ended.signal ?? `exit ${ended.code}`})`}`;
      if (typeof stressor.latest.error === "string")
        return `the fault did not hold its size: ${stressor.latest.error} (${of})`;
      return undefined;
    };
    const record = await ctx.registry
      .inject(
        {
          kind: "memory-stress",
          activity: ctx.activity,
          targets: [{ kind: "host", id: "memory", label: formatBytes(bytes) }],
          revert: { type: "stop", targets: [{ pid: stressor.pid, starttime: stressor.starttime }] },
        },
        () => stressor.go({ bytes, rampMs: p.ramp ?? 0 }),
        { failure },
      )
      .catch((err: unknown) => {
        killStressors([stressor]);
        throw err;
      });
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    return {
      fault: "memory-stress",
      bytes,
      stressor: stressor.pid,
      oom_score_adj: 1000,
      ...(p.ramp !== undefined ? { ramp_ms: p.ramp } : {}),
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
