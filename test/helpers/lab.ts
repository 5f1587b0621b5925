import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabInfo } from "../../src/core/lab.js";
import { track } from "./children.js";
import { finished, startCli, waitForOutput } from "./cli.js";
import { ROOT } from "./paths.js";

const PROBE = join(ROOT, "dist", "test", "helpers", "lab-probe.js");

/** Runs a command; resolves with stdout (rejects on a non-zero exit). */
export function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(" ")}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** A lab of one host per zone (zones a, b, c, ...), each serving TCP on 8080 and 8081. */
export function writeLab(dir: string, zones: string[]): { file: string; name: string } {
  const name = `t${randomBytes(3).toString("hex")}`;
  const server =
    "const h=require('http');for(const p of [8080,8081])h.createServer((q,s)=>s.end(String(p))).listen(p)";
  const hosts = zones
    .map(
      (z) =>
        `    - name: ${z}1\n      zone: ${z}\n      processes:\n        - command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}]\n          ready: { tcp: 8081 }\n`,
    )
    .join("");
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: withstand/v1\nkind: Lab\nmetadata:\n  name: ${name}\nspec:\n  hosts:\n${hosts}`,
  );
  return { file, name };
}

export interface UpLab {
  info: LabInfo;
  child: ChildProcess;
  ns(host: string): string;
  ip(host: string): string;
  down(): Promise<void>;
}

/** `withstand lab up FILE --json` until its JSON line; `down()` stops it (SIGTERM) and waits for its exit. */
export async function labUp(file: string, env: NodeJS.ProcessEnv): Promise<UpLab> {
  const child = startCli(["lab", "up", file, "--json"], { env });
  const result = finished(child);
  const line = await waitForOutput(child, /\}\n/);
  const info = JSON.parse(line.trim().split("\n")[0] as string) as LabInfo;
  const host = (h: string) => {
    const found = info.hosts.find((x) => x.name === h);
    if (!found) throw new Error(`no host ${h}`);
    return found;
  };
  return {
    info,
    child,
    ns: (h) => host(h).ns,
    ip: (h) => host(h).address,
    down: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await result;
    },
  };
}

/** Runs the probe inside a host's namespace and returns its JSON answer. */
export async function probe(ns: string, args: string[]): Promise<Record<string, number>> {
  const out = await run("ip", ["netns", "exec", ns, process.execPath, PROBE, ...args]);
  return JSON.parse(out.trim()) as Record<string, number>;
}

/** Starts the probe as a long-running process in a namespace (a sink), tracked for teardown. */
export function startProbe(ns: string, args: string[]): ChildProcess {
  return track(
    spawn("ip", ["netns", "exec", ns, process.execPath, PROBE, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/**
 * An observer in a host's own namespace (not where faults act): counts what ARRIVES there from `from`,
 * per protocol, in an inet table of the test's; it goes with the lab.
 */
export async function observe(
  ns: string,
  from: string,
): Promise<() => Promise<{ tcp: number; udp: number; icmp: number }>> {
  const table = `wsm${randomBytes(3).toString("hex")}`;
  const rules = ["tcp", "udp", "icmp"].map(
    (p) => `    ip saddr ${from} meta l4proto ${p} counter comment "${p}"`,
  );
  const text = `table inet ${table} {\n  chain input {\n    type filter hook input priority -10; policy accept;\n${rules.join("\n")}\n  }\n}\n`;
  await new Promise<void>((resolve, reject) => {
    const c = execFile("ip", ["netns", "exec", ns, "nft", "-f", "-"], (err) =>
      err ? reject(err) : resolve(),
    );
    c.stdin?.end(text);
  });
  return async () => {
    const json = JSON.parse(
      await run("ip", ["netns", "exec", ns, "nft", "-j", "list", "table", "inet", table]),
    ) as {
      nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[];
    };
    const counts = { tcp: 0, udp: 0, icmp: 0 };
    for (const item of json.nftables) {
      const r = item.rule;
      if (!r?.comment) continue;
      const c = r.expr.find((e) => e.counter)?.counter?.packets ?? 0;
      counts[r.comment as keyof typeof counts] = c;
    }
    return counts;
  };
}

/** `withstand inject KIND --lab NAME ...` held until `revert()` (SIGINT), which resolves when it exited. */
export async function injectHeld(
  env: NodeJS.ProcessEnv,
  kind: string,
  attrs: string[],
): Promise<{ child: ChildProcess; revert(): Promise<void> }> {
  const child = startCli(["inject", kind, ...attrs], { env });
  const result = finished(child);
  await waitForOutput(child, "injected");
  return {
    child,
    revert: async () => {
      child.kill("SIGINT");
      const r = await result;
      if (r.code !== 0 && r.code !== 3) throw new Error(`inject ${kind} exited ${r.code}: ${r.stderr}`);
    },
  };
}

/** Every namespace of withstand's on the machine named for lab `id`. */
export async function namespacesOf(id: string): Promise<string[]> {
  return (await run("ip", ["netns", "list"])).split("\n").filter((l) => l.startsWith(`ws-${id}-`));
}
