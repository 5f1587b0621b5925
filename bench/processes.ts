import { type ChildProcess, spawn } from "node:child_process";

/**
 * Starts a peer or withstand itself in its own process and resolves once its stdout matches `ready`
 * (with the match, so a printed port or URL can be read from it); rejects if it exits first.
 */
export function startProcess(
  cmd: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = { ...process.env, CI: "true" },
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env });
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout?.on("data", (d: Buffer) => {
      seen += d.toString();
      const m = ready.exec(seen);
      if (m) resolve({ child, match: m });
    });
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}: ${seen}`)));
  });
}
