import { lstatSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The machine-wide directory of withstand's active runs, faults and clocks (one per user). */
export function stateDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return process.env.WITHSTAND_STATE_DIR ?? join(tmpdir(), `withstand-${uid}`);
}

const myUid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined);

/**
 * Why someone else could swap `dir`, or undefined. As ssh and sudo check a path, every directory above
 * it (as written, and after resolving symlinks) must belong to us or to root and must not be writable by
 * group or others unless it is sticky (/tmp): whoever may rename entries in an ancestor could move our
 * directory away and put one of theirs (with clocks, faults and runs of their choosing) in its place.
 */
export function untrustedAncestors(dir: string): string | undefined {
  const me = myUid();
  const seen = new Set<string>();
  const check = (path: string): string | undefined => {
    for (let at = dirname(path); !seen.has(at); at = dirname(at)) {
      seen.add(at);
      const st = lstatSync(at, { throwIfNoEntry: false });
      if (st && me !== undefined && st.uid !== 0 && st.uid !== me)
        return `its parent directory ${at} is owned by uid ${st.uid}, neither you (uid ${me}) nor root, so its owner could swap the state directory`;
      if (st && !st.isSymbolicLink() && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
        return `its parent directory ${at} is writable by others (mode ${(st.mode & 0o7777).toString(8)}, not sticky), so they could swap the state directory`;
    }
    return undefined;
  };
  const absolute = resolve(dir);
  const written = check(absolute);
  if (written) return written;
  let real: string | undefined;
  try {
    real = realpathSync(absolute);
  } catch {
    // Not created yet: its existing ancestors were checked as written.
  }
  return real !== undefined && real !== absolute ? check(real) : undefined;
}

/** Why `dir` is not a private directory of ours (a symlink, not a directory, someone else's, writable by others), or undefined. */
export function untrustedDir(dir: string): string | undefined {
  const above = untrustedAncestors(dir);
  if (above) return above;
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return "does not exist";
  if (st.isSymbolicLink()) return "is a symbolic link";
  if (!st.isDirectory()) return "is not a directory";
  const me = myUid();
  if (me !== undefined && st.uid !== me) return `is owned by uid ${st.uid}, not ${me}`;
  if ((st.mode & 0o022) !== 0) return `is writable by others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}
