import { lstatSync, unlinkSync } from "node:fs";
import { basename } from "node:path";
import { FILL_PREFIX } from "../../core/fault.js";
import type { RevertAction, RevertExecutor } from "./types.js";

const DIGITS = /^\d+$/;

/**
 * Deletes a fill file withstand created, without the runner that holds it open (halt, the watchdog):
 * the record names the file's device and inode (as decimal strings: inodes may pass 2^53), written
 * right after the file was created with O_EXCL. The path is unlinked only while it is still a regular
 * file with that very device and inode, so a name that someone renamed over withstand's file (a symlink,
 * a file of theirs) is never deleted. A record without an inode was written before any file existed:
 * there is nothing of withstand's to delete. A record edited on disk cannot delete anything else:
 * the name must carry withstand's prefix and the inode must match.
 *
 * Between the check and unlink() someone who can write the directory could still swap the name (Linux
 * has no "unlink if this inode"); what they could get deleted then is an entry of their own directory,
 * which they could delete themselves.
 */
export const deleteFile: RevertExecutor = {
  type: "delete-file",
  accepts: (a: RevertAction) =>
    typeof a.path === "string" &&
    basename(a.path).startsWith(FILL_PREFIX) &&
    typeof a.dev === "string" &&
    DIGITS.test(a.dev) &&
    (a.ino === undefined || (typeof a.ino === "string" && DIGITS.test(a.ino))),
  async run(a: RevertAction): Promise<string> {
    const path = a.path as string;
    if (a.ino === undefined) return `no fill file had been created at ${path}: nothing to delete`;
    const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
    if (!st) return `${path} already gone`;
    if (!st.isFile() || String(st.dev) !== a.dev || String(st.ino) !== a.ino)
      return `${path} is not the file withstand created (it was replaced): left alone`;
    unlinkSync(path);
    return `deleted ${path}`;
  },
};
