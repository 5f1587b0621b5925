import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs ip, nft or tc with an argument list (never a shell string); resolves with its exit code and output. */
export function cmd(file: "ip" | "nft" | "tc", args: readonly string[], input?: string): Promise<CmdResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 15_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code =
        err === null ? 0 : typeof (err as NodeJS.ErrnoException).code === "number" ? Number(err.code) : 127;
      resolve({ code, stdout, stderr: stderr || (err && code === 127 ? err.message : "") });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like `cmd`, but a non-zero exit throws an error naming the command and what it said. */
export async function must(
  file: "ip" | "nft" | "tc",
  args: readonly string[],
  input?: string,
): Promise<string> {
  const r = await cmd(file, args, input);
  if (r.code !== 0) throw new Error(`${file} ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/**
 * What this process lacks to build a lab, or undefined: CAP_NET_ADMIN for links, nftables and qdiscs,
 * CAP_SYS_ADMIN because `ip netns add` bind-mounts the namespace under /run/netns.
 */
export function missingCapabilities(): string | undefined {
  let eff = 0n;
  try {
    const line = readFileSync("/proc/self/status", "utf8")
      .split("\n")
      .find((l) => l.startsWith("CapEff:"));
    eff = BigInt(`0x${(line ?? "CapEff: 0").split(/\s+/)[1] ?? "0"}`);
  } catch {
    return "cannot read /proc/self/status (a lab needs Linux)";
  }
  const missing = [
    ...((eff >> BigInt(CAP_NET_ADMIN)) & 1n ? [] : ["CAP_NET_ADMIN"]),
    ...((eff >> BigInt(CAP_SYS_ADMIN)) & 1n ? [] : ["CAP_SYS_ADMIN"]),
  ];
  return missing.length === 0
    ? undefined
    : `a network lab needs root (missing ${missing.join(" and ")}: CAP_NET_ADMIN for veth pairs, the bridge, nftables and qdiscs; CAP_SYS_ADMIN for ip netns add); run it as root or with those capabilities`;
}

/** Which of ip, nft and tc is not installed, or undefined. */
export async function missingTools(): Promise<string | undefined> {
  const probes: ["ip" | "nft" | "tc", string[], string][] = [
    ["ip", ["-V"], "iproute2"],
    ["tc", ["-V"], "iproute2"],
    ["nft", ["--version"], "nftables"],
  ];
  for (const [tool, args, pkg] of probes) {
    const r = await cmd(tool, args);
    if (r.code === 127)
      return `${tool} is not installed (expected the ${pkg} package: apt-get install ${pkg})`;
  }
  return undefined;
}
