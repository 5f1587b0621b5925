import { createHash } from "node:crypto";
import { lstat, readFile, readlink, realpath } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import type { CheckKind } from "../../core/check-kind.js";
import { expandHome, groups, users } from "../system.js";

function fileType(s: Awaited<ReturnType<typeof lstat>>): string {
  if (s.isSymbolicLink()) return "symlink";
  if (s.isDirectory()) return "directory";
  if (s.isFile()) return "file";
  if (s.isSocket()) return "socket";
  if (s.isFIFO()) return "pipe";
  if (s.isCharacterDevice()) return "character-device";
  if (s.isBlockDevice()) return "block-device";
  return "unknown";
}

/** Goss's mode: four octal digits, the special bits first ("0644", "1777", "4755"). */
function mode(m: number): string {
  return (m & 0o7777).toString(8).padStart(4, "0");
}

export const fileKind: CheckKind = {
  type: "file",
  title: "File",
  settings: { path: "string" },
  properties: [
    { name: "exists" },
    { name: "mode" },
    { name: "size" },
    { name: "owner" },
    { name: "uid" },
    { name: "group" },
    { name: "gid" },
    { name: "filetype" },
    { name: "contents", stream: true, aliases: ["contains"] },
    { name: "md5" },
    { name: "sha256" },
    { name: "sha512" },
    { name: "linked-to" },
  ],
  gate: "exists",
  async observe(id, settings, wanted, ctx) {
    const raw = await expandHome(String(settings.path ?? id));
    const path = isAbsolute(raw) ? raw : resolve(ctx.dir, raw);
    let stat: Awaited<ReturnType<typeof lstat>>;
    try {
      stat = await lstat(path);
    } catch {
      return { exists: false };
    }
    // Goss follows a link for everything but its type and target.
    const target = stat.isSymbolicLink() ? await lstat(await realpath(path)).catch(() => stat) : stat;
    const out: Record<string, unknown> = { exists: true, filetype: fileType(stat) };
    const need = (p: string) => wanted.includes(p);
    if (need("mode")) out.mode = mode(target.mode);
    if (need("size")) out.size = target.size;
    if (need("uid")) out.uid = target.uid;
    if (need("gid")) out.gid = target.gid;
    if (need("owner"))
      out.owner = (await users()).find((u) => u.uid === target.uid)?.name ?? String(target.uid);
    if (need("group"))
      out.group = (await groups()).find((g) => g.gid === target.gid)?.name ?? String(target.gid);
    if (need("linked-to"))
      out["linked-to"] = stat.isSymbolicLink() ? await readlink(path) : new Error(`${path} is not a symlink`);
    const hashes = ["md5", "sha256", "sha512"].filter(need);
    if (need("contents") || hashes.length > 0) {
      const data = await readFile(path).catch((err: Error) => err);
      if (data instanceof Error) {
        for (const p of ["contents", ...hashes]) out[p] = data;
      } else {
        if (need("contents")) out.contents = data.toString("utf8");
        for (const h of hashes) out[h] = createHash(h).update(data).digest("hex");
      }
    }
    return out;
  },
};
