/**
 * How Goss decides which init system answers for a `service` check (system/system.go DetectService,
 * DetectDistro, isLegacySystemd), as a pure function of what the machine shows, and the parts of the
 * init-script backends that are pure reading of files (system/service_init.go, service_upstart.go).
 */

/** Goss's service backends: systemd, systemd with a SysV fallback (Debian < 9), upstart, OpenRC (Alpine), SysV init. */
export type InitSystem = "systemd" | "systemdlegacy" | "upstart" | "alpineinit" | "init";

/** What Goss looks at, each read by the caller: undefined for a file that is not there. */
export interface InitFacts {
  /** Whether `systemctl` is on the PATH (Goss does not ask whether systemd is PID 1). */
  hasSystemctl: boolean;
  lsbRelease: string | undefined;
  debianVersion: string | undefined;
  redhatRelease: boolean;
  systemRelease: boolean;
  alpineRelease: boolean;
  archRelease: boolean;
}

export type Distro = "ubuntu" | "redhat" | "alpine" | "arch" | "debian" | "";

export function detectDistro(f: InitFacts): Distro {
  if (f.lsbRelease?.includes("Ubuntu")) return "ubuntu";
  if (f.redhatRelease || f.systemRelease) return "redhat";
  if (f.alpineRelease) return "alpine";
  if (f.archRelease) return "arch";
  if (f.debianVersion !== undefined) return "debian";
  return "";
}

/** Debian before 9 ran systemd beside SysV scripts: Goss falls back on them there. */
function isLegacySystemd(debianVersion: string | undefined): boolean {
  if (debianVersion === undefined) return false;
  const dot = debianVersion.indexOf(".");
  if (dot < 0) return false;
  const major = debianVersion.slice(0, dot);
  return /^[+-]?\d+$/.test(major) && Number(major) < 9;
}

export function detectInit(f: InitFacts): InitSystem {
  if (f.hasSystemctl) return isLegacySystemd(f.debianVersion) ? "systemdlegacy" : "systemd";
  switch (detectDistro(f)) {
    case "ubuntu":
      return "upstart";
    case "alpine":
      return "alpineinit";
    case "arch":
      return "systemd";
    default:
      return "init";
  }
}

/** Goss refuses a service name with a slash: it is never enabled nor running. */
export function invalidServiceName(name: string): boolean {
  return name.includes("/");
}

/** SysV runlevels a service starts in, from the /etc/rcN.d/S[0-9][0-9]NAME links found. */
export function sysvRunlevels(paths: readonly string[], service: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const m = /^\/etc\/rc([0-9]+)\.d\/S[0-9][0-9](.*)$/.exec(p);
    if (m?.[1] !== undefined && m[2] === service) out.push(m[1]);
  }
  return out;
}

/** OpenRC runlevels, from the /etc/runlevels/LEVEL/NAME entries found. */
export function openrcRunlevels(paths: readonly string[], service: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const m = /^\/etc\/runlevels\/([^/]+)\/(.*)$/.exec(p);
    if (m?.[1] !== undefined && m[2] === service) out.push(m[1]);
  }
  return out;
}

/**
 * Whether upstart starts a job at boot: an override file with a line starting `manual` disables it,
 * else a `start on` line in its .conf enables it; undefined when neither decides (SysV decides then).
 */
export function upstartEnabled(override: string | undefined, conf: string | undefined): boolean | undefined {
  if (override?.split("\n").some((l) => l.startsWith("manual"))) return false;
  if (conf?.split("\n").some((l) => /^\s*start on/.test(l))) return true;
  return undefined;
}

/** Upstart's `service NAME status` says running only with exit 0 and "running" or "online" in its output. */
export function upstartRunning(status: number, stdout: string): boolean {
  return status === 0 && (stdout.includes("running") || stdout.includes("online"));
}
