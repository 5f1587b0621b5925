import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { BIN, isolatedEnv } from "../helpers/paths.js";
import { startVictim, stopChild, stressorPids, until } from "../helpers/processes.js";

const MiB = 1024 * 1024;

/** This test's own stressors: the ones its runs (with this state directory) started. */
const stressors = (name: string, env: NodeJS.ProcessEnv) =>
  stressorPids(name, String(env.WITHSTAND_STATE_DIR));

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) * 1024;
}

/** A tmpfs of the test's own, so a disk fill never touches a real disk. */
let fs = "";
before(() => {
  fs = mkdtempSync(join(tmpdir(), "withstand-fs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", fs]);
});
after(() => {
  execFileSync("umount", [fs]);
  rmSync(fs, { recursive: true, force: true });
});

const freeBytes = () => {
  const s = statfsSync(fs);
  return s.bavail * s.bsize;
};
const fillFiles = () => readdirSync(fs).filter((f) => f.startsWith(".withstand-fill-"));

describe("withstand inject with resource faults", () => {
  it("memory-stress holds its size resident (RSS within 2%), and Ctrl-C stops it (exit 3)", async (t) => {
    const { env } = isolatedEnv();
    const runner = startCli(["inject", "memory-stress", "--size", "160MiB", "--json"], { env });
    // Held until Ctrl-C: stopped here even when an assertion below fails, so 160 MiB never outlives the test.
    t.after(() => stopChild(runner));
    const done = finished(runner);
    await waitForOutput(runner, '"type":"fault-injected"');
    const [pid] = stressors("memory", env);
    assert.ok(pid, "a memory stressor runs");
    const target = 160 * MiB;
    await until(() => rssOf(pid) >= target * 0.98, 20_000, "the stressor to reach its size");
    const rss = rssOf(pid);
    assert.ok(Math.abs(rss - target) <= target * 0.02, `RSS ${rss / MiB} MiB, target 160 MiB`);
    assert.equal(readFileSync(`/proc/${pid}/oom_score_adj`, "utf8").trim(), "1000");
    runner.kill("SIGINT");
    assert.equal((await done).code, 3);
    await until(() => stressors("memory", env).length === 0, 1000, "the stressor to be gone");
  });

  it("disk-fill leaves the free space asked for (within 1 MiB) and deletes its file at the duration", async (t) => {
    const { env } = isolatedEnv();
    const runner = startCli(
      ["inject", "disk-fill", "--path", fs, "--free", "8MiB", "--duration", "3s", "--json"],
      {
        env,
      },
    );
    t.after(() => stopChild(runner));
    const done = finished(runner);
    await waitForOutput(runner, '"type":"fault-injected"');
    await until(() => fillFiles().length === 1, 2000, "the fill file");
    assert.ok(Math.abs(freeBytes() - 8 * MiB) <= MiB, `free ${freeBytes() / MiB} MiB, target 8 MiB`);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fillFiles(), []);
  });

  it("disk-fill is deleted by halt, and by the watchdog after the runner's SIGKILL", async (t) => {
    const { env } = isolatedEnv();
    const halted = startCli(["inject", "disk-fill", "--path", fs, "--fill", "50%", "--json"], { env });
    t.after(() => stopChild(halted));
    const halting = finished(halted);
    await waitForOutput(halted, '"type":"fault-injected"');
    assert.equal(fillFiles().length, 1);
    assert.equal((await runCli(["halt"], { env })).code, 0);
    assert.deepEqual(fillFiles(), [], "halt deletes the file before it answers");
    assert.equal((await halting).code, 3);

    const killed = startCli(["inject", "disk-fill", "--path", fs, "--size", "4MiB", "--json"], { env });
    t.after(() => stopChild(killed));
    const gone = finished(killed);
    await waitForOutput(killed, '"type":"fault-injected"');
    killed.kill("SIGKILL");
    await gone;
    await until(() => fillFiles().length === 0, 5000, "the watchdog to delete the fill file");
  });

  it("refuses a fill above 99% without force, and names what is wrong (exit 2)", async () => {
    const { env } = isolatedEnv();
    const r = await runCli(["inject", "disk-fill", "--path", fs, "--fill", "99.5%", "--duration", "1s"], {
      env,
    });
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /above 99%\) is refused without force: true/);
    assert.deepEqual(fillFiles(), []);
  });

  it("leaves nothing when its runner is SIGKILLed at random moments (stressors and fill files)", async (t) => {
    const { env } = isolatedEnv();
    const cases: string[][] = [
      ["cpu-stress", "--load", "20%", "--cores", "[0]"],
      ["memory-stress", "--size", "32MiB"],
      ["disk-fill", "--path", fs, "--size", "2MiB"],
    ];
    for (const args of cases)
      for (let i = 0; i < 3; i++) {
        const runner = startCli(["inject", ...args, "--json"], { env });
        t.after(() => stopChild(runner));
        const done = finished(runner);
        // Before, around and after the injection: a moment from 0 to 1.2 s after the start.
        await new Promise((r) => setTimeout(r, Math.random() * 1200));
        runner.kill("SIGKILL");
        await done;
        await until(
          () =>
            stressors("cpu", env).length === 0 &&
            stressors("memory", env).length === 0 &&
            fillFiles().length === 0,
          5000,
          `nothing left of ${args[0]} after SIGKILL`,
        );
      }
  });
});

describe("clock-skew through withstand exec (libfaketime)", () => {
  it("a Node server's Date.now() moves by the offset within 1 s of injection and back within 1 s of revert", async (t) => {
    const { env } = isolatedEnv();
    const server = startCli(
      [
        "exec",
        "--as",
        "web",
        "--",
        process.execPath,
        "-e",
        "require('http').createServer((q,s)=>s.end(String(Date.now()))).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
      ],
      { env },
    );
    t.after(() => stopChild(server));
    const port = Number((await waitForOutput(server, /\d+\n/)).trim());
    const skew = async () => Number(await (await fetch(`http://127.0.0.1:${port}/`)).text()) - Date.now();
    assert.ok(Math.abs(await skew()) < 1000, "no skew before the fault");
    const runner = startCli(["inject", "clock-skew", "--clock", "web", "--offset", "+2h", "--json"], { env });
    t.after(() => stopChild(runner));
    const done = finished(runner);
    await waitForOutput(runner, '"type":"fault-injected"');
    const TWO_HOURS = 7_200_000;
    const shifted = await until(
      async () => Math.abs((await skew()) - TWO_HOURS) < 1000,
      1000,
      "the skew to show",
    );
    assert.ok(shifted <= 1000);
    runner.kill("SIGINT");
    assert.equal((await done).code, 3);
    await until(async () => Math.abs(await skew()) < 1000, 1000, "the clock to be back");
    server.kill("SIGTERM");
  });

  it("openssl verify of a certificate fails under +2y, as it will when the certificate expires", async (t) => {
    const { dir, env } = isolatedEnv();
    const key = join(dir, "k.pem");
    const cert = join(dir, "c.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "365",
        "-subj",
        "/CN=withstand-test",
      ],
      { stdio: "ignore" },
    );
    const verify = (extra: string[] = []) =>
      runCli(["exec", "--as", "tls", ...extra, "--", "openssl", "verify", "-CAfile", cert, cert], { env });
    const before = await verify();
    assert.equal(before.code, 0, before.stdout + before.stderr);
    // A clock exists while a process runs on it: hold one open, skew it, and verify on the same clock.
    const holder = startCli(
      ["exec", "--as", "tls", "--", process.execPath, "-e", "setInterval(()=>{},1000)"],
      { env },
    );
    t.after(() => stopChild(holder));
    await until(() => readdirSync(join(dir, "state", "clocks")).includes("tls.rc"), 5000, "the clock file");
    const runner = startCli(["inject", "clock-skew", "--clock", "tls", "--offset", "+2y", "--json"], { env });
    t.after(() => stopChild(runner));
    const done = finished(runner);
    await waitForOutput(runner, '"type":"fault-injected"');
    const skewed = await verify();
    assert.notEqual(skewed.code, 0);
    assert.match(skewed.stdout + skewed.stderr, /certificate has expired/);
    // A process provider on the same clock (withstand's `clock:` extension) sees the skew too.
    const probe = join(dir, "probe.yaml");
    writeFileSync(
      probe,
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: cert-under-skew}
spec:
  method:
    - type: probe
      name: verify
      tolerance: {type: regex, target: stderr, pattern: "certificate has expired"}
      provider: {type: process, path: openssl, arguments: [verify, -CAfile, ${JSON.stringify(cert)}, ${JSON.stringify(cert)}], clock: tls}
`,
    );
    const run = await runCli(["run", probe], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    runner.kill("SIGINT");
    await done;
    const after = await verify();
    assert.equal(after.code, 0, "valid again once the clock is back");
    holder.kill("SIGTERM");
  });

  it("refuses a process that was not started through withstand, naming what to do (exit 2)", async (t) => {
    const { env } = isolatedEnv();
    const victim = startVictim("withstand-clock-victim");
    t.after(() => stopChild(victim));
    const r = await runCli(
      ["inject", "clock-skew", "--select.pid", String(victim.pid), "--offset", "+1h", "--duration", "1s"],
      { env },
    );
    victim.kill("SIGKILL");
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /was not started through withstand.*withstand exec --as NAME/);
  });
});

describe("clock-skew on a rollout's version", () => {
  it("a version started with clock: NAME has its wall clock moved, the other version not", async (t) => {
    const { dir, env } = isolatedEnv();
    const server = `require('http').createServer((q,s)=>s.end(String(Date.now()))).listen(Number(process.env.PORT),'127.0.0.1')`;
    const file = join(dir, "clocked.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: Rollout
metadata: {name: clocked}
spec:
  listen: 127.0.0.1:0
  stable: {command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}], clock: clocked-stable}
  canary: {command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}], clock: clocked-canary}
  steps:
    - setWeight: 50
    - pause: {duration: 60s}
`,
    );
    const rollout = startCli(["rollout", file], { env });
    t.after(() => stopChild(rollout));
    const done = finished(rollout);
    const out = await waitForOutput(rollout, /router on (http:\/\/[\d.:]+)/);
    const url = /router on (http:\/\/[\d.:]+)/.exec(out)?.[1] as string;
    const runner = startCli(
      ["inject", "clock-skew", "--clock", "clocked-canary", "--offset", "+2h", "--json"],
      { env },
    );
    t.after(() => stopChild(runner));
    const injected = finished(runner);
    await waitForOutput(runner, '"type":"fault-injected"');
    const skew: Record<string, number> = {};
    for (let i = 0; i < 40 && Object.keys(skew).length < 2; i++) {
      const res = await fetch(`${url}/`);
      skew[res.headers.get("x-withstand-version") ?? "?"] = Number(await res.text()) - Date.now();
    }
    assert.ok(Math.abs((skew.canary ?? 0) - 7_200_000) < 1000, `canary skew ${skew.canary}`);
    assert.ok(Math.abs(skew.stable ?? 1e9) < 1000, `stable skew ${skew.stable}`);
    runner.kill("SIGINT");
    await injected;
    await runCli(["rollout", "abort", "clocked"], { env });
    assert.equal((await done).code, 3);
  });
});

/** A memory cgroup of the test's own (v1 or v2, whichever holds the memory controller here). */
function memoryCgroup(limit: number): { procs: string; remove(): void } | undefined {
  const name = `withstand-test-${process.pid}-${Date.now()}`;
  for (const [root, file] of [
    ["/sys/fs/cgroup/memory", "memory.limit_in_bytes"],
    ["/sys/fs/cgroup", "memory.max"],
  ] as const) {
    try {
      if (!readdirSync(root).includes(file)) continue;
      const dir = join(root, name);
      execFileSync("mkdir", [dir]);
      writeFileSync(join(dir, file), String(limit));
      return {
        procs: join(dir, "cgroup.procs"),
        remove: () => rmdirSync(dir),
      };
    } catch {
      // Not this hierarchy.
    }
  }
  return undefined;
}

describe("memory-stress the OOM killer stops", () => {
  const cgroup = memoryCgroup(320 * MiB);
  it("is not HELD: the run fails, saying the size reached and that the OOM killer stopped it", {
    skip: !cgroup,
  }, async () => {
    const { env } = isolatedEnv();
    // The runner and its stressor in a 320 MiB memory cgroup; the stressor asks for 1 GiB.
    const runner = spawn(
      "sh",
      [
        "-c",
        `echo $$ > ${cgroup?.procs} && exec "$0" "$@"`,
        BIN,
        "inject",
        "memory-stress",
        "--size",
        "1GiB",
        "--duration",
        "4s",
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const r = await finished(runner);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /did not hold its size: its stressor was killed at \d+(\.\d)?MiB of 1GiB by the kernel's OOM killer/,
      );
      assert.doesNotMatch(r.stdout, /HELD/);
    } finally {
      runner.kill("SIGKILL");
      await until(() => runner.exitCode !== null || runner.signalCode !== null, 5000, "the runner to end");
      await until(() => stressors("memory", env).length === 0, 5000, "the stressor to be gone");
      // The runner's watchdog leaves the cgroup last, once it has seen the runner gone.
      await until(() => readFileSync(cgroup?.procs ?? "", "utf8").trim() === "", 5000, "the cgroup to empty");
      cgroup?.remove();
    }
  });
});
