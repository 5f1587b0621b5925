import { ConfigError, WithstandError } from "../core/errors.js";
import { EventBus } from "../core/events.js";
import type { ExperimentSpec } from "../core/experiment.js";
import type { LabInfo, LabSpec } from "../core/lab.js";
import { SpecError } from "../documents/diagnostic.js";
import { readLab } from "../documents/lab.js";
import { loadFirstDocument } from "../documents/source.js";
import { defineService } from "../engine/service.js";
import { missingCapabilities, missingTools } from "../platform/netlab/cmd.js";
import { newLabId, upLab } from "../platform/netlab/lab.js";
import { SafetyRegistry } from "../safety/registry.js";
import { stateDir } from "../safety/state.js";

/** Reads a kind: Lab file; its problems are a SpecError naming file:line:col (exit 2). */
export async function loadLab(file: string): Promise<LabSpec> {
  const r = await loadFirstDocument(file, "Lab", readLab);
  if (!("spec" in r) || !r.spec || r.diagnostics.some((d) => d.severity === "error"))
    throw new SpecError(r.diagnostics);
  return r.spec;
}

/** Says, before anything is made, what the machine lacks for a lab (exit 2 naming it). */
export async function checkLabPrerequisites(what: string): Promise<void> {
  const why = missingCapabilities() ?? (await missingTools());
  if (why) throw new WithstandError("WS_LAB_PRIVILEGE", `${what}: ${why}`, 2);
}

export interface StartedLab {
  info: LabInfo;
  /** Takes the lab down (its registry revert); idempotent. */
  down(): Promise<void>;
}

/**
 * Brings a lab up under a safety registry of its own (run id `lab-<id>`): its teardown is recorded
 * before anything is made, so the run's end, `withstand halt`, `lab down` and the crash watchdog after
 * a SIGKILL all remove its namespaces, processes and every fault inside.
 */
export async function startLab(spec: LabSpec, file: string): Promise<StartedLab> {
  await checkLabPrerequisites(file);
  const id = newLabId();
  const registry = new SafetyRegistry(stateDir(), `lab-${id}`, new EventBus(), `lab ${spec.name} (${id})`);
  registry.open();
  let info: LabInfo | undefined;
  try {
    const record = await registry.inject(
      {
        kind: "lab",
        activity: spec.name,
        targets: spec.hosts.map((h) => ({ kind: "host", id: h.name, label: `zone ${h.zone}` })),
        revert: { type: "lab-down", lab: id },
      },
      async () => {
        info = (await upLab(spec, id)).info;
      },
    );
    return {
      info: info as LabInfo,
      down: async () => {
        await registry.revert(record.id, "lab down");
        await registry.close();
      },
    };
  } catch (err) {
    await registry.close();
    throw new ConfigError(`${file}: lab ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** The lab a run declares (`lab: FILE`): up before the hypothesis, down after the rollbacks, on every path. */
export const labService = defineService<string, LabInfo>({
  name: "lab",
  provides: "a network lab (kind: Lab) for partition, zone-down, blackhole, loss and bandwidth faults",
  declared: (spec) => (spec as Partial<ExperimentSpec>).lab,
  async start(file) {
    const lab = await startLab(await loadLab(file), file);
    return { handle: lab.info, stop: () => lab.down() };
  },
});
