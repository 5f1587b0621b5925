import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { revisionProblem } from "../core/revision.js";

const run = promisify(execFile);

/**
 * Commit times from git, for DORA's lead time: the committer date (when the change landed on its
 * branch) of every commit of `range` (`REV`, or `PREV..REV` for the changes a deployment shipped).
 * Fails with git's own message when `repo` is not a repository or the revision is unknown.
 */
export async function gitCommitTimes(repo: string, range: string): Promise<string[]> {
  refuseBadRevision(range);
  try {
    const { stdout } = await run(
      "git",
      ["-C", repo, "log", "--format=%cI", "--end-of-options", range, "--"],
      {
        maxBuffer: 64 << 20,
      },
    );
    return stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => new Date(l.trim()).toISOString());
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git log ${range} in ${repo}: ${(e.stderr ?? e.message).trim().split("\n")[0]}`);
  }
}

/** A revision git would read as an option never reaches it (`--end-of-options` guards it again). */
function refuseBadRevision(rev: string): void {
  const problem = revisionProblem(rev);
  if (problem) throw new Error(`revision ${problem}`);
}

/** One revision's full id and commit time. */
export async function gitCommit(
  repo: string,
  rev: string,
): Promise<{ revision: string; commitTime: string }> {
  refuseBadRevision(rev);
  try {
    const { stdout } = await run("git", [
      "-C",
      repo,
      "log",
      "-1",
      "--format=%H %cI",
      "--end-of-options",
      rev,
      "--",
    ]);
    const [revision = "", time = ""] = stdout.trim().split(" ");
    return { revision, commitTime: new Date(time).toISOString() };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git log ${rev} in ${repo}: ${(e.stderr ?? e.message).trim().split("\n")[0]}`);
  }
}

/** HEAD's revision and commit time, or undefined when `dir` is not inside a git work tree. */
export async function gitHead(dir: string): Promise<{ revision: string; commitTime: string } | undefined> {
  try {
    const { stdout } = await run("git", ["-C", dir, "log", "-1", "--format=%H %cI", "HEAD", "--"]);
    const [revision, time] = stdout.trim().split(" ");
    if (!revision || !time) return undefined;
    return { revision, commitTime: new Date(time).toISOString() };
  } catch {
    return undefined;
  }
}
