import type { ChildProcess } from "node:child_process";
import { finished, startCli, waitForOutput } from "./cli.js";

/** `withstand serve` as a user starts it, on a free port; resolves with its URL. */
export async function startServe(
  env: NodeJS.ProcessEnv,
  extra: string[] = [],
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = startCli(["serve", "--port", "0", ...extra], { env });
  const done = finished(child);
  const out = await waitForOutput(child, /dashboard on (http:\/\/[^/\s]+)\//);
  const url = /dashboard on (http:\/\/[^/\s]+)\//.exec(out)?.[1] ?? "";
  return {
    url,
    child,
    stop: async () => {
      child.kill("SIGTERM");
      await done;
    },
  };
}
