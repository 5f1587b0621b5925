/**
 * bench/checks: 100 checks of mixed local types (file, user, group, kernel-param, port, process,
 * package, mount, matching, command) in one Gossfile, timed as Goss times itself ("Total Duration",
 * from the start of validation to the last result) over BENCH_ROUNDS runs of `withstand check`.
 * Goss is not packaged for this Debian, so it cannot run beside it: the figure it documents (README,
 * "Total Duration: 0.021s" for its 15-test quick start) is printed for reference, per test too.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { recordSummary } from "./summary.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "withstand-bench-checks-"));

function gossfile(): string {
  const lines: string[] = ["file:"];
  const files = [
    "/etc/passwd",
    "/etc/group",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/os-release",
    "/tmp",
    "/usr/bin",
    "/bin/sh",
    "/etc",
    "/proc",
  ];
  for (let i = 0; i < 30; i++) {
    const f = `${files[i % files.length]}${i >= files.length ? `${"/".repeat(0)}` : ""}`;
    lines.push(
      `  ${JSON.stringify(i < files.length ? f : `${dir}/absent-${i}`)}:`,
      `    exists: ${i < files.length}`,
    );
  }
  lines.push("user:");
  for (const u of ["root", "daemon", "bin", "sys", "nobody", "nope1", "nope2", "nope3", "nope4", "nope5"])
    lines.push(`  ${u}:`, `    exists: ${!u.startsWith("nope")}`);
  lines.push("group:");
  for (const g of ["root", "daemon", "bin", "sys", "adm", "tty", "disk", "nope1", "nope2", "nope3"])
    lines.push(`  ${g}:`, `    exists: ${!g.startsWith("nope")}`);
  lines.push("kernel-param:");
  for (const k of [
    "kernel.ostype",
    "kernel.hostname",
    "kernel.pid_max",
    "vm.swappiness",
    "net.ipv4.ip_forward",
    "kernel.threads-max",
    "fs.file-max",
    "kernel.randomize_va_space",
    "vm.overcommit_memory",
    "net.core.somaxconn",
    "kernel.osrelease",
    "kernel.panic",
    "vm.max_map_count",
    "fs.nr_open",
    "kernel.pty.max",
  ])
    lines.push(`  ${k}:`, '    value: {not: ""}');
  lines.push("port:");
  for (let p = 1; p <= 5; p++) lines.push(`  tcp:${p}:`, "    listening: false");
  lines.push("process:");
  for (const p of ["node", "nope-a", "nope-b", "nope-c", "nope-d"])
    lines.push(`  ${p}:`, `    running: ${p === "node"}`);
  lines.push("package:");
  for (const p of [
    "bash",
    "coreutils",
    "dpkg",
    "grep",
    "sed",
    "tar",
    "gzip",
    "nope-pkg-a",
    "nope-pkg-b",
    "nope-pkg-c",
  ])
    lines.push(`  ${p}:`, `    installed: ${!p.startsWith("nope")}`);
  lines.push("mount:");
  for (const m of ["/", "/proc", "/sys", "/dev", "/no/such"])
    lines.push(`  ${JSON.stringify(m)}:`, `    exists: ${m !== "/no/such"}`);
  lines.push("matching:");
  for (let i = 0; i < 10; i++) lines.push(`  m${i}:`, `    content: ${i}`, `    matches: {lt: 10}`);
  lines.push("command:");
  for (let i = 0; i < 5; i++) lines.push(`  "echo ${i}":`, "    exit-status: 0");
  return `${lines.join("\n")}\n`;
}

const file = join(dir, "goss.yaml");
writeFileSync(file, gossfile());
const totals: number[] = [];
let count = "";
for (let i = 0; i < ROUNDS; i++) {
  let out = "";
  try {
    out = execFileSync(BIN, ["check", file, "--no-color"], { encoding: "utf8" });
  } catch (err) {
    throw new Error(
      `the bench Gossfile must pass on this machine:\n${(err as { stdout?: string }).stdout ?? ""}`,
    );
  }
  totals.push(Number(/Total Duration: ([\d.]+)s/.exec(out)?.[1]) * 1000);
  count = /Count: \d+/.exec(out)?.[0] ?? "";
}
totals.sort((a, b) => a - b);
const median = totals[Math.floor(totals.length / 2)] ?? 0;
const p90 = totals[Math.floor(totals.length * 0.9)] ?? 0;
const GOSS_MS = 21;
const GOSS_TESTS = 15;
console.log(`bench/checks: ${count} (100 entries of 10 local types), ${ROUNDS} rounds`);
console.log(
  `  withstand check  Total Duration median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms  (${(median / 100).toFixed(2)} ms per check; goal < 100 ms)`,
);
console.log(
  `  goss (its README, not run here)  ${GOSS_MS} ms for ${GOSS_TESTS} tests  (${(GOSS_MS / GOSS_TESTS).toFixed(2)} ms per test)`,
);
recordSummary({
  bench: "checks",
  measure: "100 Goss checks, Total Duration (median)",
  withstand: `${median.toFixed(0)} ms`,
  peer: `goss README ${GOSS_MS} ms / ${GOSS_TESTS} tests`,
  ratio: `${(median / 100 / (GOSS_MS / GOSS_TESTS)).toFixed(2)}x per test`,
  goal: "< 100 ms",
});
