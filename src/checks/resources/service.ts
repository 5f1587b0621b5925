import { execFile } from "node:child_process";
import { access, constants, readdir, readFile, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";
import type { CheckKind } from "../../core/check-kind.js";
import {
  detectInit,
  type InitFacts,
  type InitSystem,
  invalidServiceName,
  openrcRunlevels,
  sysvRunlevels,
  upstartEnabled,
  upstartRunning,
} from "../../core/service-init.js";

/** A bound on each init command; Goss waits for them, withstand will not wait forever. */
const COMMAND_TIMEOUT_MS = 30_000;

const text = (path: string) => readFile(path, "utf8").catch(() => undefined);
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Whether an executable of that name is on the PATH, as Go's exec.LookPath. */
async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      const p = join(dir, command);
      if ((await stat(p)).isFile()) {
        await access(p, constants.X_OK);
        return true;
      }
    } catch {
      // not here
    }
  }
  return false;
}

export async function initFacts(): Promise<InitFacts> {
  const [hasSystemctl, lsbRelease, debianVersion, redhatRelease, systemRelease, alpineRelease, archRelease] =
    await Promise.all([
      onPath("systemctl"),
      text("/etc/lsb-release"),
      text("/etc/debian_version"),
      exists("/etc/redhat-release"),
      exists("/etc/system-release"),
      exists("/etc/alpine-release"),
      exists("/etc/arch-release"),
    ]);
  return {
    hasSystemctl,
    lsbRelease,
    debianVersion,
    redhatRelease,
    systemRelease,
    alpineRelease,
    archRelease,
  };
}

/** Runs a command as Goss's util.Command does (no shell): its exit status and output; -1 when it cannot run. */
function run(file: string, args: string[], signal: AbortSignal): Promise<{ status: number; stdout: string }> {
  return new Promise((done) => {
    execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, signal, encoding: "utf8" }, (err, stdout) => {
      const code = (err as { code?: unknown } | null)?.code;
      done({ status: err ? (typeof code === "number" ? code : -1) : 0, stdout: String(stdout ?? "") });
    });
  });
}

async function entriesUnder(dirs: string[]): Promise<string[]> {
  const lists = await Promise.all(
    dirs.map((d) =>
      readdir(d).then(
        (names) => names.map((n) => `${d}/${n}`),
        () => [] as string[],
      ),
    ),
  );
  return lists.flat();
}

async function sysvLevels(name: string): Promise<string[]> {
  const rcDirs = (await readdir("/etc").catch(() => [] as string[]))
    .filter((n) => /^rc.*\.d$/.test(n))
    .sort()
    .map((n) => `/etc/${n}`);
  return sysvRunlevels(await entriesUnder(rcDirs), name);
}

async function openrcLevels(name: string): Promise<string[]> {
  const levels = (await readdir("/etc/runlevels").catch(() => [] as string[])).sort();
  const found = await Promise.all(
    levels.map(async (l) =>
      (await exists(`/etc/runlevels/${l}/${name}`)) ? `/etc/runlevels/${l}/${name}` : "",
    ),
  );
  return openrcRunlevels(found.filter(Boolean), name);
}

interface ServiceState {
  enabled(): Promise<boolean>;
  running(): Promise<boolean>;
  runlevels(): Promise<string[] | null>;
}

/** One backend per init system, each answering as Goss's does (system/service_*.go). */
function backend(init: InitSystem, name: string, signal: AbortSignal): ServiceState {
  const sysv: ServiceState = {
    enabled: async () => (await sysvLevels(name)).length > 0,
    running: async () => (await run("service", [name, "status"], signal)).status === 0,
    runlevels: () => sysvLevels(name),
  };
  switch (init) {
    case "systemd":
    case "systemdlegacy": {
      const legacy = init === "systemdlegacy";
      return {
        enabled: async () =>
          (await run("systemctl", ["-q", "is-enabled", name], signal)).status === 0 ||
          (legacy && (await sysv.enabled())),
        running: async () =>
          (await run("systemctl", ["-q", "is-active", name], signal)).status === 0 ||
          (legacy && (await sysv.running())),
        runlevels: async () => null,
      };
    }
    case "upstart":
      return {
        enabled: async () =>
          upstartEnabled(await text(`/etc/init/${name}.override`), await text(`/etc/init/${name}.conf`)) ??
          (await sysv.enabled()),
        running: async () => {
          const r = await run("service", [name, "status"], signal);
          return upstartRunning(r.status, r.stdout);
        },
        runlevels: () => sysvLevels(name),
      };
    case "alpineinit":
      return {
        enabled: async () => (await openrcLevels(name)).length > 0,
        running: sysv.running,
        runlevels: () => openrcLevels(name),
      };
    case "init":
      return sysv;
  }
}

/**
 * Goss's `service`: whether the init system enables and runs a service. The init system is the one
 * Goss would pick on this machine; where it cannot answer (systemctl present but systemd not PID 1,
 * as in most containers), the service is reported neither enabled nor running, as Goss reports it.
 */
export const serviceKind: CheckKind = {
  type: "service",
  title: "Service",
  settings: { name: "string" },
  properties: [{ name: "enabled" }, { name: "running" }, { name: "runlevels" }],
  allOptional: true,
  async observe(id, settings, wanted, ctx) {
    const name = String(settings.name ?? id);
    const out: Record<string, unknown> = {};
    if (invalidServiceName(name)) {
      for (const w of wanted) out[w] = w === "runlevels" ? null : false;
      return out;
    }
    const state = backend(detectInit(await initFacts()), name, ctx.signal);
    for (const w of wanted) {
      if (w === "enabled") out.enabled = await state.enabled();
      else if (w === "running") out.running = await state.running();
      else if (w === "runlevels") out.runlevels = await state.runlevels();
    }
    return out;
  },
};
