import { execFile } from "node:child_process";
import { closeSync, openSync, statfsSync, statSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { ConfigError } from "../core/errors.js";
import { FILL_PREFIX } from "../core/fault.js";
import { bytesOf, formatBytes, type Size } from "../core/size.js";
import { defineFaultKind } from "./define.js";
import { type Params, schema } from "./schemas/disk-fill.js";

interface Plan {
  file: string;
  bytes: number;
  /** Use of the file system after the fill, as `df` shows it: used / (used + available). */
  useAfter: number;
  freeAfter: number;
  mount: string;
}

/** Where the fill file goes, how big it is, and what the file system looks like afterwards. */
function planFill(p: Params, loc: string): Plan {
  const dir = resolve(p.path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    throw new ConfigError(
      `${loc}: disk-fill: ${dir} does not exist (expected a directory on the file system to fill)`,
    );
  }
  if (!st.isDirectory()) throw new ConfigError(`${loc}: disk-fill: ${dir} is not a directory`);
  const fs = statfsSync(dir);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const avail = fs.bavail * fs.bsize;
  // The schema guarantees exactly one of size, free and fill.
  const whole = used + avail;
  const wanted = p.size
    ? bytesOf(p.size, whole)
    : p.free
      ? avail - bytesOf(p.free, whole)
      : bytesOf(p.fill as Size, whole) - used;
  const bytes = Math.floor(wanted / fs.bsize) * fs.bsize;
  if (bytes <= 0)
    throw new ConfigError(
      `${loc}: disk-fill: ${dir} already has ${formatBytes(avail)} free of ${formatBytes(used + avail)} (${((used / (used + avail)) * 100).toFixed(1)}% used): nothing to fill`,
    );
  if (bytes > avail)
    throw new ConfigError(
      `${loc}: disk-fill: ${formatBytes(bytes)} does not fit in the ${formatBytes(avail)} free on ${dir}`,
    );
  const useAfter = (used + bytes) / (used + avail);
  const onRoot = statSync("/").dev === st.dev;
  if (onRoot && p.force !== true)
    throw new ConfigError(
      `${loc}: disk-fill: ${dir} is on the root file system: refused without force: true (a full root file system stops the machine itself)`,
    );
  if (useAfter > 0.99 && p.force !== true)
    throw new ConfigError(
      `${loc}: disk-fill: filling ${dir} to ${(useAfter * 100).toFixed(1)}% (above 99%) is refused without force: true (expected fill <= 99% or free space left)`,
    );
  return {
    file: join(dir, `${FILL_PREFIX}${process.pid}-${Date.now()}`),
    bytes,
    useAfter,
    freeAfter: avail - bytes,
    mount: dir,
  };
}

const execFileAsync = promisify(execFile);

/** Allocates the file's blocks at once (fallocate), or writes zeros where the file system cannot. */
async function allocate(file: string, bytes: number): Promise<void> {
  try {
    await execFileAsync("fallocate", ["-l", String(bytes), file]);
    return;
  } catch {
    // No fallocate here (or the file system lacks it): write the blocks.
  }
  const fd = openSync(file, "w");
  try {
    const chunk = Buffer.alloc(1024 * 1024);
    for (let left = bytes; left > 0; left -= chunk.length)
      writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
  }
}

/** Fills the file system holding `path` with one file withstand owns; the revert deletes that file. */
export const diskFill = defineFaultKind({
  kind: "disk-fill",
  summary:
    "fill the file system under path with one file withstand owns; deleted after duration or at the end of the method",
  schema,
  describe: (p, ctx) => {
    const plan = planFill(p, ctx.loc);
    return {
      text: `would write ${formatBytes(plan.bytes)} to ${plan.file}, leaving ${formatBytes(plan.freeAfter)} free (${(plan.useAfter * 100).toFixed(1)}% used)${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}`,
      targets: [{ kind: "file", id: plan.mount, label: formatBytes(plan.bytes) }],
    };
  },
  async inject(p, ctx) {
    const plan = planFill(p, ctx.loc);
    // Registered before the file exists, so a runner killed at any moment leaves a record that names
    // it: the watchdog deletes the file if it was created, and finds nothing to do if not.
    const record = await ctx.registry.inject(
      {
        kind: "disk-fill",
        activity: ctx.activity,
        targets: [{ kind: "file", id: plan.mount, label: `${formatBytes(plan.bytes)} in ${plan.file}` }],
        revert: { type: "delete-file", path: plan.file, dev: statSync(plan.mount).dev },
      },
      async () => {
        // 'wx': a file of that name that is not ours is never reused or truncated.
        closeSync(openSync(plan.file, "wx", 0o600));
        await allocate(plan.file, plan.bytes);
      },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    const after = statfsSync(plan.mount);
    return {
      fault: "disk-fill",
      file: plan.file,
      bytes: plan.bytes,
      free_after: after.bavail * after.bsize,
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
