import { accessSync, type BigIntStats, constants, statfsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import { FILL_PREFIX } from "../core/fault.js";
import { bytesOf, formatBytes, type Size } from "../core/size.js";
import { defineFaultKind } from "./define.js";
import { allocate, createFill, type FillFile, fillError, release } from "./fill-file.js";
import { type Params, schema } from "./schemas/disk-fill.js";

interface Plan {
  dir: string;
  /** The device of the directory, which the fill file must land on. */
  dev: bigint;
  bytes: number;
  /** Use of the file system after the fill, as `df` shows it: used / (used + available). */
  useAfter: number;
  freeAfter: number;
}

/** Why a directory to fill cannot be used, in the user's words (exit 2). */
function unusable(err: unknown, dir: string): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return `${dir} does not exist (expected a directory on the file system to fill)`;
    case "EACCES":
      return `${dir} cannot be reached: permission denied on it or a directory above it (run as a user who may write there)`;
    case "ENOTDIR":
      return `${dir}: a part of the path is not a directory (expected a directory on the file system to fill)`;
    case "ELOOP":
      return `${dir}: too many levels of symbolic links`;
    default:
      return `${dir} cannot be used: ${(err as Error).message}`;
  }
}

/** Where the fill file goes, how big it is, and what the file system looks like afterwards. */
function planFill(p: Params, loc: string): Plan {
  const dir = resolve(p.path);
  let st: BigIntStats;
  try {
    st = statSync(dir, { bigint: true });
  } catch (err) {
    throw new ConfigError(`${loc}: fault.path: ${unusable(err, dir)}`, { cause: err });
  }
  if (!st.isDirectory()) throw new ConfigError(`${loc}: fault.path: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw fillError(err, loc, dir);
  }
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
  const which = p.size ? "fault.size" : p.free ? "fault.free" : "fault.fill";
  if (bytes <= 0)
    throw new ConfigError(
      `${loc}: ${which}: ${dir} already has ${formatBytes(avail)} free of ${formatBytes(used + avail)} (${((used / (used + avail)) * 100).toFixed(1)}% used): nothing to fill`,
    );
  if (bytes > avail)
    throw new ConfigError(
      `${loc}: ${which}: ${formatBytes(bytes)} does not fit in the ${formatBytes(avail)} free on ${dir}`,
    );
  const useAfter = (used + bytes) / (used + avail);
  const onRoot = statSync("/", { bigint: true }).dev === st.dev;
  if (onRoot && p.force !== true)
    throw new ConfigError(
      `${loc}: fault.path: ${dir} is on the root file system: refused without force: true (a full root file system stops the machine itself)`,
    );
  if (useAfter > 0.99 && p.force !== true)
    throw new ConfigError(
      `${loc}: ${which}: filling ${dir} to ${(useAfter * 100).toFixed(1)}% (above 99%) is refused without force: true (expected fill <= 99% or free space left)`,
    );
  return { dir, dev: st.dev, bytes, useAfter, freeAfter: avail - bytes };
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
      text: `would write ${formatBytes(plan.bytes)} to a new file in ${plan.dir}, leaving ${formatBytes(plan.freeAfter)} free (${(plan.useAfter * 100).toFixed(1)}% used)${p.duration !== undefined ? ` for ${p.duration / 1000}s` : " until the end of the method"}`,
      targets: [{ kind: "file", id: plan.dir, label: formatBytes(plan.bytes) }],
    };
  },
  async inject(p, ctx) {
    const plan = planFill(p, ctx.loc);
    let file: FillFile | undefined;
    // Registered before the file exists, naming no inode: a runner killed before the file is created
    // leaves nothing to delete. Once created, the record is revised with the file's device and inode
    // before a single block is allocated, so halt and the watchdog delete that inode and nothing else.
    const record = await ctx.registry.inject(
      {
        kind: "disk-fill",
        activity: ctx.activity,
        targets: [{ kind: "file", id: plan.dir, label: `${formatBytes(plan.bytes)} in ${plan.dir}` }],
        revert: { type: "delete-file", path: join(plan.dir, FILL_PREFIX), dev: String(plan.dev) },
      },
      async (applying) => {
        file = createFill(plan.dir, plan.dev, ctx.loc);
        applying.revise({
          type: "delete-file",
          path: file.path,
          dev: String(file.dev),
          ino: String(file.ino),
        });
        await allocate(file, plan.bytes, { dir: plan.dir, force: p.force === true, loc: ctx.loc });
      },
      {
        localRevert: () => {
          if (!file) return "no fill file had been created: nothing to delete";
          const how = release(file);
          file = undefined;
          return how;
        },
      },
    );
    if (p.duration !== undefined) ctx.registry.revertAfter(record.id, p.duration);
    const after = statfsSync(plan.dir);
    return {
      fault: "disk-fill",
      file: file?.path,
      bytes: plan.bytes,
      free_after: after.bavail * after.bsize,
      ...(p.duration !== undefined ? { revert_after_ms: p.duration } : {}),
    };
  },
});
