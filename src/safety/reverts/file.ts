import { lstatSync, unlinkSync } from "node:fs";
import { basename } from "node:path";
import { FILL_PREFIX } from "../../core/fault.js";
import type { RevertAction, RevertExecutor } from "./types.js";

/**
 * Deletes a fill file withstand created: only a regular file (never a symlink) whose name has
 * withstand's prefix, on the file system recorded, so a record edited on disk cannot delete anything
 * else. The record is written before the file exists, so it names no inode.
 */
export const deleteFile: RevertExecutor = {
  type: "delete-file",
  accepts: (a: RevertAction) =>
    typeof a.path === "string" && basename(a.path).startsWith(FILL_PREFIX) && Number.isInteger(a.dev),
  async run(a: RevertAction): Promise<string> {
    const path = a.path as string;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      return `${path} already gone`;
    }
    if (!st.isFile() || st.dev !== a.dev) return `${path} is not the file withstand created: left alone`;
    unlinkSync(path);
    return `deleted ${path}`;
  },
};
