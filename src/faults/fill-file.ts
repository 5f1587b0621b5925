import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { FILL_PREFIX } from "../core/fault.js";
import { formatBytes } from "../core/size.js";

/**
 * The one file a disk fill makes, handled only through the descriptor that created it. The directory
 * may belong to someone else (a service user), who can rename anything in it at any moment: so the name
 * is unpredictable, the file is created with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never
 * through a symlink), and everything after that (allocating, writing, the size check, emptying) goes
 * through the descriptor, never the name again. The name is unlinked only while lstat() of it still
 * shows the descriptor's device and inode. Node has no fallocate(2): the fallocate(1) tool gets the
 * descriptor itself (as /dev/fd/3, the open file, not a path lookup), so it allocates our inode whatever
 * the name points to by then.
 */
export interface FillFile {
  path: string;
  fd: number;
  dev: bigint;
  ino: bigint;
}

/** Where disk-fill's own problems (a read-only mount, no space, no permission) are the user's to fix. */
const USER_ERRORS: Record<string, (dir: string) => string> = {
  EROFS: (dir) =>
    `${dir} is on a read-only file system: nothing can be written there (expected a directory on a writable file system)`,
  EACCES: (dir) =>
    `${dir} is not writable by this user (uid ${process.getuid?.() ?? "?"}): permission denied (run as a user who may write there, or choose another directory)`,
  EPERM: (dir) => `${dir}: the file system refused to create a file there (operation not permitted)`,
  ENOSPC: (dir) =>
    `no space left on the file system of ${dir}: something else filled it meanwhile (another fill?); free some space or fill less`,
  EDQUOT: (dir) => `the disk quota of this user on ${dir} is used up: fill less or raise the quota`,
  EEXIST: (dir) =>
    `a file of the fill file's random name already exists in ${dir}: someone else is creating files there under withstand's names; left it alone, try again`,
};

/** A disk-fill error the user can act on (exit 2), or the original error (a bug: exit 70). */
export function fillError(err: unknown, loc: string, dir: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const say = code !== undefined ? USER_ERRORS[code] : undefined;
  return say ? new ConfigError(`${loc}: fault.path: ${say(dir)}`, { cause: err }) : err;
}

/** Creates a new fill file of an unpredictable name in `dir`, on device `dev` (as planned). */
export function createFill(dir: string, dev: bigint, loc: string): FillFile {
  const path = join(dir, `${FILL_PREFIX}${randomBytes(16).toString("hex")}`);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY,
      0o600,
    );
  } catch (err) {
    throw fillError(err, loc, dir);
  }
  const st = fstatSync(fd, { bigint: true });
  const file = { path, fd, dev: st.dev, ino: st.ino };
  if (st.dev !== dev) {
    // The directory was swapped for one on another file system between the plan and now.
    release(file);
    throw new ConfigError(
      `${loc}: fault.path: ${dir} moved to another file system while the fill started: stopped`,
    );
  }
  return file;
}

/** Runs fallocate(1) on the descriptor; false when the file system cannot allocate that way. */
function fallocate(fd: number, bytes: number): Promise<"done" | "unsupported" | "no-space"> {
  return new Promise((resolve) => {
    const child = spawn("fallocate", ["-l", String(bytes), "/dev/fd/3"], {
      stdio: ["ignore", "ignore", "pipe", fd],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", () => resolve("unsupported"));
    child.once("close", (code) =>
      resolve(code === 0 ? "done" : /no space left|disk quota/i.test(stderr) ? "no-space" : "unsupported"),
    );
  });
}

export interface Guard {
  dir: string;
  /** Whether going past 99 % use is allowed (force: true). */
  force: boolean;
  loc: string;
}

/** Use of the file system as `df` shows it, were `more` bytes written now. */
function useWith(dir: string, more: number): number {
  const fs = statfsSync(dir);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  return (used + more) / (used + fs.bavail * fs.bsize);
}

const tooFull = (g: Guard, done: number) =>
  new ConfigError(
    `${g.loc}: fault.path: the file system of ${g.dir} filled up while withstand was filling it (stopped at ${formatBytes(done)}; something else is writing there): going on would pass 99% used, which is refused without force: true`,
  );

/**
 * Gives the file `bytes` of allocated blocks, through its descriptor: fallocate(1) where the file
 * system has it, else zeros written a chunk at a time, checking before each chunk that the file system
 * stays under 99 % used (unless forced), since another writer may be filling it at the same time.
 */
export async function allocate(file: FillFile, bytes: number, g: Guard): Promise<void> {
  const how = await fallocate(file.fd, bytes);
  if (how === "no-space")
    throw fillError(Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }), g.loc, g.dir);
  if (how === "unsupported") {
    const chunk = Buffer.alloc(1024 * 1024);
    let done = 0;
    while (done < bytes) {
      const n = Math.min(chunk.length, bytes - done);
      if (!g.force && useWith(g.dir, n) > 0.99) throw tooFull(g, done);
      try {
        done += writeSync(file.fd, chunk, 0, n, done);
      } catch (err) {
        throw fillError(err, g.loc, g.dir);
      }
    }
  } else if (!g.force && useWith(g.dir, 0) > 0.99) throw tooFull(g, bytes);
  // The size check is the descriptor's too: the name may point elsewhere by now.
  const st = fstatSync(file.fd);
  if (st.size < bytes || st.blocks * 512 < bytes)
    throw new ConfigError(
      `${g.loc}: fault.path: the fill file holds ${formatBytes(st.blocks * 512)} of the ${formatBytes(bytes)} asked for: the file system did not allocate it`,
    );
}

/**
 * Undoes a fill through its descriptor: empties withstand's own inode (so the space comes back even
 * if the name was renamed away), unlinks the name only while it is still that inode, and closes.
 */
export function release(file: FillFile): string {
  try {
    ftruncateSync(file.fd, 0);
  } catch {
    // Emptying is best effort; the unlink and close below still free the blocks.
  }
  let how: string;
  const there = lstatSync(file.path, { bigint: true, throwIfNoEntry: false });
  if (!there) how = `${file.path} already gone (withstand's file emptied)`;
  else if (!there.isFile() || there.dev !== file.dev || there.ino !== file.ino)
    how = `${file.path} was replaced by something that is not withstand's file: left alone (withstand's file emptied)`;
  else {
    unlinkSync(file.path);
    how = `deleted ${file.path}`;
  }
  closeSync(file.fd);
  return how;
}
