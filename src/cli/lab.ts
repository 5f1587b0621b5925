import { EXIT } from "../core/exit-codes.js";
import type { LabInfo } from "../core/lab.js";
import { labNamespaces, listLabs } from "../platform/netlab/lab.js";
import { executeRevert } from "../safety/reverts/index.js";
import { listFaults, liveRuns, removeFault, stateDir } from "../safety/state.js";
import { checkLabPrerequisites, loadLab, startLab } from "../services/lab.js";
import { failUsage } from "./fail.js";

function describe(info: LabInfo): string {
  const hosts = info.hosts.map(
    (h) => `  ${h.name.padEnd(16)} zone ${h.zone.padEnd(10)} ${h.address.padEnd(12)} netns ${h.ns}`,
  );
  return [`lab ${info.name} (${info.id}) up: DNS ${info.dns} answers each host's name`, ...hosts].join("\n");
}

/**
 * `withstand lab up FILE`: brings the lab up and keeps it until Ctrl-C, SIGTERM, `withstand lab down`
 * or `withstand halt`; then (and after a SIGKILL, through the watchdog) nothing of it is left.
 */
export async function labUpCommand(file: string, flags: { json?: boolean }): Promise<number> {
  await checkLabPrerequisites(file);
  const lab = await startLab(await loadLab(file), file);
  process.stdout.write(flags.json ? `${JSON.stringify(lab.info)}\n` : `${describe(lab.info)}\n`);
  // Signal listeners do not keep Node alive, and the lab's processes may all exit: this timer does.
  const alive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    // SIGUSR1 is how `withstand halt` stops a runner.
    for (const s of ["SIGINT", "SIGTERM", "SIGUSR1", "SIGHUP"] as const) process.once(s, () => resolve());
  });
  clearInterval(alive);
  await lab.down();
  process.stdout.write(`lab ${lab.info.name} (${lab.info.id}) down\n`);
  return EXIT.ok;
}

/** `withstand lab down [NAME|ID]`: takes down the named lab (or every lab of this user) and stops its `lab up`. */
export async function labDownCommand(which: string | undefined): Promise<number> {
  const labs = listLabs().filter((l) => which === undefined || l.name === which || l.id === which);
  if (which !== undefined && labs.length === 0)
    failUsage(`lab down ${which}: no running lab has that name or id`);
  const root = stateDir();
  for (const lab of labs) {
    const records = listFaults(root).filter(
      ({ fault }) => fault.revert.type === "lab-down" && fault.revert.lab === lab.id,
    );
    let how = "";
    for (const { fault } of records) {
      how = await executeRevert(fault.revert);
      removeFault(root, fault);
    }
    if (records.length === 0) how = await executeRevert({ type: "lab-down", lab: lab.id });
    for (const run of liveRuns(root))
      if (run.runId === `lab-${lab.id}` && run.pid !== process.pid)
        try {
          process.kill(run.pid, "SIGTERM");
        } catch {
          // Exited meanwhile.
        }
    process.stdout.write(`${how}\n`);
  }
  if (labs.length === 0) process.stdout.write("no running labs\n");
  return EXIT.ok;
}

/** `withstand lab status`: the running labs of this user, and any withstand namespace with no lab record. */
export async function labStatusCommand(flags: { json?: boolean }): Promise<number> {
  const labs = listLabs();
  const namespaces = await labNamespaces();
  const known = new Set(labs.map((l) => l.id));
  const stray = namespaces.filter((n) => !known.has(n.slice(3, 9)));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ labs, stray })}\n`);
    return EXIT.ok;
  }
  for (const l of labs) process.stdout.write(`${describe(l)}\n`);
  if (labs.length === 0) process.stdout.write("no running labs\n");
  if (stray.length > 0)
    process.stdout.write(`namespaces of withstand with no running lab: ${stray.join(", ")}\n`);
  return EXIT.ok;
}

/** `withstand lab exec NAME HOST -- CMD...`: runs a command inside a lab host; exits with its exit code. */
export async function labExecCommand(name: string, host: string, command: string[]): Promise<number> {
  const lab = listLabs().find((l) => l.name === name || l.id === name);
  if (!lab) failUsage(`lab exec ${name}: no running lab has that name or id`);
  const h = lab.hosts.find((x) => x.name === host);
  if (!h)
    failUsage(
      `lab exec ${name} ${host}: no such host (expected one of ${lab.hosts.map((x) => x.name).join(", ")})`,
    );
  if (command.length === 0) failUsage("lab exec: expected a command after the host, e.g. -- node client.js");
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", h.ns, ...command], { stdio: "inherit" });
    child.on("error", () => resolve(EXIT.invalid));
    child.on("close", (code) => resolve(code ?? 1));
  });
}
