import { readFileSync, writeFileSync } from "node:fs";
import { leash, report } from "./leash.js";

/**
 * Holds `bytes` of resident memory: allocates it in chunks over `rampMs`, touches every page so the
 * memory is really resident (RSS, not just reserved), and keeps it until stopped. Its oom_score_adj is
 * 1000, so under pressure the kernel's OOM killer picks this process first, never the runner or the
 * target. Usage (spawned by the memory-stress fault): node memory.js
 */
const PAGE = 4096;
const CHUNK = 32 * 1024 * 1024;

function rssBytes(): number {
  const pages = Number(readFileSync("/proc/self/statm", "utf8").split(" ")[1] ?? 0);
  return pages * PAGE;
}

try {
  writeFileSync("/proc/self/oom_score_adj", "1000");
} catch {
  // Raising one's own score needs no privilege; should it fail, the report says so.
  report({ warning: "could not set oom_score_adj to 1000" });
}

const { go } = leash();
const params = await go;
const target = Number(params.bytes ?? 0);
const rampMs = Number(params.rampMs ?? 0);
const held: Buffer[] = [];
const started = performance.now();
// The process's own footprint counts: the target is the stressor's RSS, as `ps` and the kernel see it.
for (let rss = rssBytes(); rss < target; rss = rssBytes()) {
  const want = rampMs > 0 ? Math.min(1, (performance.now() - started) / rampMs) * target : target;
  if (rss >= want) {
    await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  const size = Math.min(CHUNK, Math.max(PAGE, Math.ceil((want - rss) / PAGE) * PAGE));
  let chunk: Buffer;
  try {
    chunk = Buffer.allocUnsafeSlow(size);
  } catch (err) {
    report({ reached: rss, error: `allocation failed at ${rss} bytes: ${(err as Error).message}` });
    break;
  }
  for (let i = 0; i < size; i += PAGE) chunk[i] = 1;
  held.push(chunk);
  // Progress as it goes: if the OOM killer stops it, the runner knows how far it got.
  report({ reached: rssBytes() });
  await new Promise((r) => setImmediate(r));
}
report({ reached: rssBytes(), chunks: held.length, holding: true });
// Hold until stopped (SIGTERM from the revert) or the runner goes away (the leash).
setInterval(() => held.length, 60_000);
