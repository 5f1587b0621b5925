import { readFile, statfs } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import type { CheckKind } from "../../core/check-kind.js";
import { Stream } from "../../core/goss-matchers.js";
import { debPackages, processNames } from "../system.js";

export const kernelParamKind: CheckKind = {
  type: "kernel-param",
  title: "KernelParam",
  // `name` replaces the id as the parameter's name (resource/kernel_param.go GetName).
  settings: { name: "string" },
  properties: [{ name: "value" }],
  checkId: (id, settings) => {
    const name = String(settings.name ?? id);
    return /^[A-Za-z0-9_.\-/]+$/.test(name) && !name.includes("..")
      ? undefined
      : `${name}: not a kernel parameter name`;
  },
  async observe(idOrName, settings) {
    const id = String(settings.name ?? idOrName);
    const path = `/proc/sys/${id.replace(/\./g, "/")}`;
    const value = await readFile(path, "utf8").catch(() => new Error(`no kernel parameter ${id} (${path})`));
    return { value: value instanceof Error ? value : value.trim().replace(/\s+/g, "\t") };
  },
};

/** /proc/self/mountinfo: the mount point's options, its super-block's options, type and source. */
async function mountAt(point: string) {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const octal = (s: string) =>
    s.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  let found: { opts: string[]; vfsOpts: string[]; filesystem: string; source: string } | undefined;
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const f = left.split(" ");
    if (octal(f[4] ?? "") !== point) continue;
    const [filesystem, source, vfs] = right.split(" ");
    // The last mount at a point is the one on top.
    found = {
      opts: (f[5] ?? "").split(","),
      vfsOpts: (vfs ?? "").split(","),
      filesystem: filesystem ?? "",
      source: octal(source ?? ""),
    };
  }
  return found;
}

export const mountKind: CheckKind = {
  type: "mount",
  title: "Mount",
  settings: { mountpoint: "string", timeout: "number" },
  properties: [
    { name: "exists" },
    { name: "opts" },
    { name: "vfs-opts" },
    { name: "source" },
    { name: "filesystem" },
    { name: "usage" },
  ],
  gate: "exists",
  async observe(id, settings, wanted) {
    const point = String(settings.mountpoint ?? id);
    const m = await mountAt(point);
    if (!m) return { exists: false };
    const out: Record<string, unknown> = {
      exists: true,
      opts: m.opts,
      "vfs-opts": m.vfsOpts,
      source: m.source,
      filesystem: m.filesystem,
    };
    if (wanted.includes("usage")) {
      const s = await statfs(point).catch((err: Error) => err);
      out.usage =
        s instanceof Error ? s : s.blocks === 0 ? 0 : Math.floor(((s.blocks - s.bfree) * 100) / s.blocks);
    }
    return out;
  },
};

export const matchingKind: CheckKind = {
  type: "matching",
  title: "Matching",
  settings: { content: "any", "as-reader": "boolean" },
  properties: [{ name: "matches" }],
  requires: "content",
  async observe(_id, settings) {
    // `as-reader: true` hands the content over as Goss hands command output: a stream of lines.
    return {
      matches:
        settings["as-reader"] === true
          ? new Stream(
              typeof settings.content === "string" ? settings.content : JSON.stringify(settings.content),
            )
          : settings.content,
    };
  },
};

export const packageKind: CheckKind = {
  type: "package",
  title: "Package",
  settings: { name: "string" },
  properties: [{ name: "installed" }, { name: "versions" }],
  gate: "installed",
  async observe(id, settings) {
    const name = String(settings.name ?? id);
    const versions = (await debPackages()).get(name) ?? [];
    return { installed: versions.length > 0, versions };
  },
};

export const processKind: CheckKind = {
  type: "process",
  title: "Process",
  settings: { comm: "string" },
  properties: [{ name: "running" }],
  async observe(id, settings) {
    // /proc/PID/comm holds at most 15 characters of the executable's name.
    const want = String(settings.comm ?? id).slice(0, 15);
    return { running: (await processNames()).has(want) };
  },
};

export const interfaceKind: CheckKind = {
  type: "interface",
  title: "Interface",
  settings: { name: "string" },
  properties: [{ name: "exists" }, { name: "addrs" }, { name: "mtu" }],
  gate: "exists",
  async observe(id, settings) {
    const name = String(settings.name ?? id);
    const addrs = networkInterfaces()[name];
    if (!addrs) return { exists: false };
    const mtu = await readFile(`/sys/class/net/${name}/mtu`, "utf8").catch(() => "");
    return {
      exists: true,
      addrs: addrs.map((a) => a.cidr ?? a.address),
      mtu: mtu.trim() ? Number(mtu.trim()) : new Error(`no MTU for ${name}`),
    };
  },
};
