import { spawn } from "node:child_process";
import type { CheckKind } from "../../core/check-kind.js";

const DEFAULT_TIMEOUT_MS = 10_000;

export const commandKind: CheckKind = {
  type: "command",
  title: "Command",
  settings: { exec: "any", timeout: "number" },
  properties: [{ name: "exit-status" }, { name: "stdout", stream: true }, { name: "stderr", stream: true }],
  observe(id, settings, _wanted, ctx) {
    // Goss runs the command through `sh -c`; a boolean or number exec is its text.
    const exec = String(settings.exec ?? id);
    const timeoutMs = typeof settings.timeout === "number" ? settings.timeout : DEFAULT_TIMEOUT_MS;
    return new Promise((done) => {
      const child = spawn("sh", ["-c", exec], {
        cwd: ctx.dir,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        kill();
        const err = new Error(`command timed out after ${timeoutMs}ms`);
        done({ "exit-status": err, stdout: err, stderr: err });
      }, timeoutMs);
      const onAbort = () => kill();
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      child.on("error", (err) => {
        clearTimeout(timer);
        done({ "exit-status": err, stdout: err, stderr: err });
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener("abort", onAbort);
        done({ "exit-status": code ?? (signal ? 128 + 9 : -1), stdout, stderr });
      });
    });
  },
};
