/**
 * A Goss `command` check whose command prints far more than anyone reads (50 MB here) neither crashes
 * `check` nor grows it by the size of the output: the check keeps the first MiB of each stream and its
 * result says the rest was left out (#25 item 7).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { finished, startCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

/** The peak resident size (VmHWM, kB) of a running process; 0 once it is gone. */
function peakKb(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

it("a command printing 50 MB is checked with its output capped, and says so", async () => {
  const { dir, env } = isolatedEnv();
  const file = join(dir, "goss.yaml");
  writeFileSync(
    file,
    `command:
  huge:
    exec: "head -c 50000000 /dev/zero | tr '\\\\0' x; echo; echo done"
    exit-status: 0
    stdout: ["never printed"]
`,
  );
  const child = startCli(["check", file, "--format", "json"], { env });
  const done = finished(child);
  let peak = 0;
  const sample = setInterval(() => {
    peak = Math.max(peak, peakKb(child.pid ?? 0));
  }, 20);
  const r = await done.finally(() => clearInterval(sample));
  assert.equal(r.code, 1, r.stderr.slice(0, 2000));
  assert.doesNotMatch(r.stderr, /RangeError|internal error/);
  assert.match(r.stdout, /output truncated: kept the first 1048576 of 50000006 characters/);
  assert.ok(r.stdout.length < 10 * 1024 * 1024, `${r.stdout.length} characters of results`);
  // Loose: the runner itself is ~100 MB; keeping the whole output costs several times its 50 MB.
  assert.ok(peak < 220 * 1024, `peak RSS ${Math.round(peak / 1024)} MB`);
});
