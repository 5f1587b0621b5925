import { spawn } from "node:child_process";
import type { CheckKind } from "../../core/check-kind.js";

const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * What a check keeps of each of a command's streams: a command printing 600 MB must not exhaust the
 * runner (V8's string limit crashed `check`; 100 MB took a monitor to 1.2 GB). The rest is read and
 * dropped, and the kept text ends with a line that says how much was left out.
 */
export const MAX_COMMAND_OUTPUT = 1024 * 1024;

/** Collects a stream's first MAX_COMMAND_OUTPUT characters and counts the rest. */
function capped(): { add(d: string): void; text(): string } {
  const parts: string[] = [];
  let kept = 0;
  let total = 0;
  return {
    add(d) {
      total += d.length;
      if (kept >= MAX_COMMAND_OUTPUT) return;
      const part = d.length <= MAX_COMMAND_OUTPUT - kept ? d : d.slice(0, MAX_COMMAND_OUTPUT - kept);
      parts.push(part);
      kept += part.length;
    },
    text() {
      const head = parts.join("");
      return total > kept
        ? `${head}\n[withstand: output truncated: kept the first ${kept} of ${total} characters]\n`
        : head;
    },
  };
}

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
      const stdout = capped();
      const stderr = capped();
      child.stdout.setEncoding("utf8").on("data", (d: string) => stdout.add(d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => stderr.add(d));
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
        done({
          "exit-status": code ?? (signal ? 128 + 9 : -1),
          stdout: stdout.text(),
          stderr: stderr.text(),
        });
      });
    });
  },
};
