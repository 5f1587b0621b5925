import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { connect } from "node:net";

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

/** Whether a command is on PATH (a peer a bench runs beside withstand, installed by `make bench`). */
export function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once something accepts connections on the loopback port (a peer takes a moment to start). */
export async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((done) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        done(true);
      });
      s.once("error", () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}
