/**
 * What the resource-fault benches (halt-kinds, leftovers) aim at, set up once: a private state
 * directory and store, a 16 MiB tmpfs to fill (root), a DNS server with its toxics API, and a process
 * on clock CLOCK; `active` tells which kinds of fault are in place now. Torn down by `close`.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DnsApi } from "../src/dns/api.js";
import { DnsServer } from "../src/dns/server.js";
import { stressorPids } from "../test/helpers/processes.js";

export const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));

export interface ResourceTargets {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The tmpfs a disk-fill may fill. */
  fs: string;
  dns: DnsServer;
  dnsUrl: string;
  clock: string;
  /** Whether a fault of each resource kind is in place right now. */
  active: Record<"cpu" | "memory" | "disk" | "clock" | "dns", () => boolean>;
  close(): Promise<void>;
}

export async function resourceTargets(name: string, clock: string): Promise<ResourceTargets> {
  const dir = mkdtempSync(join(tmpdir(), `withstand-${name}-`));
  const env = {
    ...process.env,
    WITHSTAND_STATE_DIR: join(dir, "state"),
    WITHSTAND_STORE: join(dir, "s.db"),
    CI: "true",
  };
  const fs = join(dir, "fs");
  execFileSync("mkdir", ["-p", fs]);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", fs]);
  const dns = new DnsServer(undefined);
  await dns.listen("127.0.0.1", 0);
  const api = new DnsApi(dns);
  const dnsUrl = `http://${await api.listen("127.0.0.1", 0)}`;
  const clocked = spawn(
    BIN,
    ["exec", "--as", clock, "--", process.execPath, "-e", "setInterval(()=>{},1000)"],
    {
      env,
      stdio: "ignore",
    },
  );
  const clockFile = join(dir, "state", "clocks", `${clock}.rc`);
  while (!existsSync(clockFile)) await new Promise((r) => setTimeout(r, 20));
  return {
    dir,
    env,
    fs,
    dns,
    dnsUrl,
    clock,
    active: {
      cpu: () => stressorPids("cpu", String(env.WITHSTAND_STATE_DIR)).length > 0,
      memory: () => stressorPids("memory", String(env.WITHSTAND_STATE_DIR)).length > 0,
      // Anything on the tmpfs counts: a fill file, or an empty one a killed runner left.
      disk: () => readdirSync(fs).length > 0,
      clock: () => readFileSync(clockFile, "utf8").trim() !== "+0",
      dns: () => dns.listToxics().length > 0,
    },
    async close() {
      clocked.kill("SIGTERM");
      await api.close();
      await dns.close();
      execFileSync("umount", [fs]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
