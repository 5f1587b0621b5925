/**
 * The contract every fault kind passes (faults/<kind>.ts, registered in faults/index.ts). For each kind:
 * `validate` rejects a misspelt attribute at its line with a did-you-mean; a dry run describes without
 * touching; an injected fault is reverted at its duration; a revertible one is reverted by `withstand
 * halt` and after the runner is SIGKILLed (the watchdog); and nothing is left in the state directory.
 * A kind registered without a harness here fails the suite.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import type { LabInfo } from "../../src/core/lab.js";
import { DnsApi } from "../../src/dns/api.js";
import { DnsServer } from "../../src/dns/server.js";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { flagErrors, readFlagText } from "../../src/documents/flag-file.js";
import { FlagServer } from "../../src/flags/server.js";
import { ProxyApi } from "../../src/proxy/api.js";
import { finished, runCli, startCli, waitForOutput } from "./cli.js";
import { json, startServer } from "./http-server.js";
import { writeLab } from "./lab.js";
import { isolatedEnv } from "./paths.js";
import { startVictim, stateOf, stopChild, stressorPids, until } from "./processes.js";

interface Target {
  /** The fault mapping (with kind) aimed at this target. */
  fault: Record<string, unknown>;
  /** Extra spec fields the experiment needs (a proxy API). */
  spec: Record<string, unknown>;
  faulted(): boolean;
  close(): Promise<void>;
}

interface Harness {
  revertible: boolean;
  /** A fault mapping with one misspelt key, the key, and the suggestion validate must make. */
  misspelt: { fault: Record<string, unknown>; key: string; hint: string };
  /** Sets up a target; `env` is the run's (its state directory holds clocks). */
  target(env: NodeJS.ProcessEnv): Promise<Target>;
}

let upstream: Awaited<ReturnType<typeof startServer>>;
let api: ProxyApi;
let apiBase = "";
before(async () => {
  upstream = await startServer((_req, res) => json(res, 200, { ok: true }));
  api = new ProxyApi();
  apiBase = `http://${await api.listen("127.0.0.1", 0)}`;
});
after(async () => {
  await api.close();
  await upstream.close();
});

let proxies = 0;
async function proxyTarget(protocol: "tcp" | "http", fault: Record<string, unknown>): Promise<Target> {
  const name = `p${++proxies}`;
  await api.collection.create({
    name,
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${upstream.port}`,
    ...(protocol === "http" ? { protocol } : {}),
  });
  return {
    fault: { ...fault, proxy: name },
    spec: { "proxy-api": apiBase },
    faulted: () => api.collection.listToxics(name).length > 0,
    close: async () => api.collection.remove(name),
  };
}

function processTarget(fault: Record<string, unknown>, faulted: (pid: number) => boolean): Promise<Target> {
  const victim = startVictim(`withstand-contract-${fault.kind}`);
  const pid = victim.pid ?? 0;
  return Promise.resolve({
    fault: { ...fault, select: { pid } },
    spec: {},
    faulted: () => faulted(pid),
    close: async () => {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
      victim.kill("SIGKILL");
    },
  });
}

/** A stressor of this test's own runs (its state directory), never one of another run on the machine. */
function stressorTarget(
  name: string,
  fault: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<Target> {
  const state = String(env.WITHSTAND_STATE_DIR);
  return Promise.resolve({
    fault,
    spec: {},
    faulted: () => stressorPids(name, state).length > 0,
    close: async () => undefined,
  });
}

/**
 * The run's own lab (`lab: FILE`, hosts a1 in zone a, b1 in zone b): faulted while a table or class of
 * ours is in the hub of a lab this run's state directory lists.
 */
function labTarget(fault: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Target> {
  const l = writeLab(mkdtempSync(join(tmpdir(), "withstand-lab-")), ["a", "b"]);
  const labsDir = join(String(env.WITHSTAND_STATE_DIR), "labs");
  const faulted = () => {
    const infos = existsSync(labsDir) ? readdirSync(labsDir) : [];
    return infos.some((f) => {
      const info = JSON.parse(readFileSync(join(labsDir, f), "utf8")) as LabInfo;
      try {
        return (
          execFileSync("ip", ["netns", "exec", info.hub, "nft", "list", "tables"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          }).includes("wsf-") ||
          execFileSync("tc", ["-n", info.hosts[0]?.ns ?? "", "class", "show", "dev", "eth0"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          }).trim() !== ""
        );
      } catch {
        return false;
      }
    });
  };
  return Promise.resolve({ fault, spec: { lab: l.file }, faulted, close: async () => undefined });
}

/** A small tmpfs of the test's own: a disk fill never touches the machine's real disks. */
function tmpfsTarget(fault: Record<string, unknown>): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "withstand-fill-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir]);
  return Promise.resolve({
    fault: { ...fault, path: dir },
    spec: {},
    faulted: () => readdirSync(dir).some((f) => f.startsWith(".withstand-fill-")),
    close: async () => {
      execFileSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** A process started through `withstand exec` on a clock of its own; faulted while the clock is moved. */
let clocksStarted = 0;
function clockTarget(fault: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Target> {
  const name = `contract-${process.pid}-${++clocksStarted}`;
  const exec = startCli(["exec", "--as", name, "--", process.execPath, "-e", "setInterval(() => {}, 1000)"], {
    env,
  });
  const file = join(String(env.WITHSTAND_STATE_DIR), "clocks", `${name}.rc`);
  return until(() => existsSync(file), 5000, "the clock file").then(() => ({
    fault: { ...fault, clock: name },
    spec: {},
    faulted: () => readFileSync(file, "utf8").trim() !== "+0",
    close: () => stopChild(exec),
  }));
}

/** A withstand dns server in this process, with its toxics API. */
async function dnsTarget(fault: Record<string, unknown>): Promise<Target> {
  const server = new DnsServer(undefined);
  await server.listen("127.0.0.1", 0);
  const api = new DnsApi(server);
  const address = await api.listen("127.0.0.1", 0);
  return {
    fault: { ...fault, server: `http://${address}` },
    spec: {},
    faulted: () => server.listToxics().length > 0,
    close: async () => {
      await api.close();
      await server.close();
    },
  };
}

/** A withstand flags server in this process, with a kill switch flag; the run gets its token by env. */
async function flagTarget(fault: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "withstand-flags-"));
  const file = join(dir, "flags.json");
  const flags = {
    recommendations: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
  };
  writeFileSync(file, JSON.stringify({ flags }));
  const token = "contract-token-0123456789";
  env.WITHSTAND_FLAGS_TOKEN = token;
  const server = new FlagServer({
    files: [file],
    host: "127.0.0.1",
    port: 0,
    tokens: [{ name: "runner", secret: token }],
    corsOrigins: [],
    read: (f, text) => {
      const r = readFlagText(f, text);
      return {
        ...(r.flags ? { flags: r.flags } : {}),
        problems: r.diagnostics.map(formatDiagnostic),
        errors: flagErrors(r.diagnostics),
      };
    },
    audit: async () => undefined,
    log: () => undefined,
  });
  const url = await server.start();
  return {
    fault: { ...fault, server: url },
    spec: {},
    faulted: () => server.flags.effective("recommendations")?.defaultVariant === "off",
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const HARNESSES: Record<string, Harness> = {
  flag: {
    revertible: true,
    misspelt: {
      fault: { kind: "flag", server: "http://127.0.0.1:1", flag: "x", varient: "off" },
      key: "varient",
      hint: "variant",
    },
    target: (env) => flagTarget({ kind: "flag", flag: "recommendations", variant: "off" }, env),
  },
  dns: {
    revertible: true,
    misspelt: {
      fault: { kind: "dns", server: "http://127.0.0.1:1", names: "x.*", answer: "nxdomain", durtion: "1s" },
      key: "durtion",
      hint: "duration",
    },
    target: () => dnsTarget({ kind: "dns", names: "inventory.*", answer: "servfail" }),
  },
  "clock-skew": {
    revertible: true,
    misspelt: { fault: { kind: "clock-skew", offset: "+1h", clokc: "web" }, key: "clokc", hint: "clock" },
    target: (env) => clockTarget({ kind: "clock-skew", offset: "+2h" }, env),
  },
  "cpu-stress": {
    revertible: true,
    misspelt: { fault: { kind: "cpu-stress", load: "50%", coers: 1 }, key: "coers", hint: "cores" },
    target: (env) => stressorTarget("cpu", { kind: "cpu-stress", load: "20%", cores: [0] }, env),
  },
  "memory-stress": {
    revertible: true,
    misspelt: { fault: { kind: "memory-stress", size: "64MiB", rmap: "1s" }, key: "rmap", hint: "ramp" },
    target: (env) => stressorTarget("memory", { kind: "memory-stress", size: "96MiB" }, env),
  },
  "disk-fill": {
    revertible: true,
    misspelt: { fault: { kind: "disk-fill", path: "/tmp", fre: "1MiB" }, key: "fre", hint: "free" },
    target: () => tmpfsTarget({ kind: "disk-fill", free: "4MiB" }),
  },
  "process-kill": {
    revertible: false,
    misspelt: {
      fault: { kind: "process-kill", select: { pid: 4242 }, singal: "SIGTERM" },
      key: "singal",
      hint: "signal",
    },
    target: () =>
      processTarget({ kind: "process-kill", signal: "SIGKILL" }, (pid) => {
        const state = stateOf(pid);
        return state === undefined || state === "Z";
      }),
  },
  "process-pause": {
    revertible: true,
    misspelt: {
      fault: { kind: "process-pause", select: { pid: 4242 }, duraton: "1s" },
      key: "duraton",
      hint: "duration",
    },
    target: () => processTarget({ kind: "process-pause" }, (pid) => stateOf(pid) === "T"),
  },
  network: {
    revertible: true,
    misspelt: {
      fault: { kind: "network", proxy: "db", toxic: { type: "latency", attributes: { latncy: 300 } } },
      key: "latncy",
      hint: "latency",
    },
    target: () =>
      proxyTarget("tcp", { kind: "network", toxic: { type: "latency", attributes: { latency: 50 } } }),
  },
  "http-fault": {
    revertible: true,
    misspelt: {
      fault: { kind: "http-fault", proxy: "api", toxic: { type: "http_abort", attributes: { stauts: 503 } } },
      key: "stauts",
      hint: "status",
    },
    target: () =>
      proxyTarget("http", { kind: "http-fault", toxic: { type: "http_abort", attributes: { status: 503 } } }),
  },
  partition: {
    revertible: true,
    misspelt: {
      fault: { kind: "partition", between: ["a", "b"], directon: "both" },
      key: "directon",
      hint: "direction",
    },
    target: (env) => labTarget({ kind: "partition", between: ["a", "b"] }, env),
  },
  "zone-down": {
    revertible: true,
    misspelt: { fault: { kind: "zone-down", zone: "a", freze: true }, key: "freze", hint: "freeze" },
    target: (env) => labTarget({ kind: "zone-down", zone: "b", freeze: true }, env),
  },
  blackhole: {
    revertible: true,
    misspelt: { fault: { kind: "blackhole", host: "a1", prots: [80] }, key: "prots", hint: "ports" },
    target: (env) => labTarget({ kind: "blackhole", host: "b1", ports: [8080] }, env),
  },
  loss: {
    revertible: true,
    misspelt: { fault: { kind: "loss", host: "a1", percnt: 20 }, key: "percnt", hint: "percent" },
    target: (env) => labTarget({ kind: "loss", host: "b1", percent: 20 }, env),
  },
  bandwidth: {
    revertible: true,
    misspelt: {
      fault: { kind: "bandwidth", host: "a1", rate: "1mbit", burts: "16kb" },
      key: "burts",
      hint: "burst",
    },
    target: (env) => labTarget({ kind: "bandwidth", host: "a1", rate: "1mbit" }, env),
  },
};

function experiment(
  dir: string,
  name: string,
  fault: unknown,
  spec: Record<string, unknown>,
  hold = false,
): string {
  const file = join(dir, `${name}.json`);
  const method: unknown[] = [{ type: "action", name: "inject", fault }];
  if (hold)
    method.push({
      type: "action",
      name: "hold",
      provider: { type: "process", path: "sleep", arguments: ["30"] },
    });
  writeFileSync(
    file,
    JSON.stringify(
      { apiVersion: "withstand/v1", kind: "Experiment", metadata: { name }, spec: { ...spec, method } },
      null,
      2,
    ),
  );
  return file;
}

function leftovers(dir: string): string[] {
  const state = join(dir, "state");
  return ["faults", "runs"].flatMap((d) => {
    try {
      return readdirSync(join(state, d)).map((f) => `${d}/${f}`);
    } catch {
      return [];
    }
  });
}

/** The kinds whose faults live in a network lab (each case brings a lab up and down: a file of their own). */
export const LAB_KINDS = new Set(["partition", "zone-down", "blackhole", "loss", "bandwidth"]);

/** Every harness's kind, for the check that each registered kind has one. */
export const HARNESSED_KINDS = (): string[] => Object.keys(HARNESSES);

/** The contract every fault kind passes, for the kinds `which` picks. */
export function faultKindContract(which: (kind: string) => boolean): void {
  for (const [kind, h] of Object.entries(HARNESSES).filter(([k]) => which(k))) {
    describe(`fault kind ${kind}`, () => {
      /** Starts a run with the fault and resolves once the fault is really in place. */
      async function injected(
        tc: TestContext,
        t: Target,
        dir: string,
        env: NodeJS.ProcessEnv,
        name: string,
        fault: Record<string, unknown>,
        hold = false,
      ) {
        const runner = startCli(["run", experiment(dir, name, fault, t.spec, hold), "--json"], { env });
        // Stopped even when an assertion fails: a held run would otherwise keep its fault for 30 s.
        tc.after(() => stopChild(runner));
        const done = finished(runner);
        await waitForOutput(runner, '"type":"fault-injected"');
        await until(() => t.faulted(), 3000, `the ${kind} fault to be applied`);
        return { runner, done };
      }

      it("validate rejects a misspelt attribute at its line, with a did-you-mean (exit 2)", async () => {
        const { dir, env } = isolatedEnv();
        const file = experiment(dir, "typo", h.misspelt.fault, {});
        const r = await runCli(["validate", file], { env });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        const line = `"${h.misspelt.key}"`;
        const text = r.stdout + r.stderr;
        assert.match(
          text,
          new RegExp(
            `typo\\.json:\\d+:\\d+: .*${h.misspelt.key}: unknown .*did you mean ${h.misspelt.hint}\\?`,
          ),
        );
        // The position is the line of the misspelt key itself.
        const lineNo = Number(new RegExp(`typo\\.json:(\\d+):\\d+: .*${h.misspelt.key}`).exec(text)?.[1]);
        const source = readFileSync(file, "utf8").split("\n");
        assert.ok(source[lineNo - 1]?.includes(line), `line ${lineNo} is ${source[lineNo - 1]}`);
      });

      it("a dry run describes it and touches nothing", async () => {
        const { dir, env } = isolatedEnv();
        const t = await h.target(env);
        try {
          const r = await runCli(["run", experiment(dir, "dry", t.fault, t.spec), "--dry-run"], { env });
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /would /);
          assert.equal(t.faulted(), false);
          assert.deepEqual(leftovers(dir), []);
        } finally {
          await t.close();
        }
      });

      it("is applied, then reverted at its duration, leaving nothing behind", async (tc) => {
        const { dir, env } = isolatedEnv();
        const t = await h.target(env);
        try {
          const fault = h.revertible ? { ...t.fault, duration: "300ms" } : t.fault;
          const { done } = await injected(tc, t, dir, env, "timed", fault);
          const r = await done;
          assert.equal(r.code, 0, r.stderr);
          if (h.revertible) assert.equal(t.faulted(), false, "reverted at the end of its duration");
          assert.match(r.stdout, /"type":"fault-reverted"/);
          assert.deepEqual(leftovers(dir), []);
        } finally {
          await t.close();
        }
      });

      if (!h.revertible) return;

      it("withstand halt reverts it and stops the run (exit 3)", async (tc) => {
        const { dir, env } = isolatedEnv();
        const t = await h.target(env);
        try {
          const { done } = await injected(tc, t, dir, env, "halted", t.fault, true);
          const halt = await runCli(["halt"], { env });
          assert.equal(halt.code, 0, halt.stderr);
          assert.equal(t.faulted(), false, "reverted by halt before it answers");
          assert.equal((await done).code, 3);
          assert.deepEqual(leftovers(dir), []);
        } finally {
          await t.close();
        }
      });

      it("is reverted by the watchdog when the runner is SIGKILLed", async (tc) => {
        const { dir, env } = isolatedEnv();
        const t = await h.target(env);
        try {
          const { runner, done } = await injected(tc, t, dir, env, "killed", t.fault, true);
          runner.kill("SIGKILL");
          await done;
          await until(() => !t.faulted(), 6000, `the ${kind} fault to be reverted by the watchdog`);
          await until(() => leftovers(dir).length === 0, 3000, "the state directory to be empty");
        } finally {
          await t.close();
        }
      });
    });
  }
}
