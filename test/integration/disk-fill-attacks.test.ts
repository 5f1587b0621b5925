import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { BIN, isolatedEnv, nobodyCanRunBin } from "../helpers/paths.js";
import { exited, until } from "../helpers/processes.js";

/**
 * disk-fill in a directory that belongs to someone else, who attacks it as that user (nobody): the
 * attacker watches the directory with inotify and renames a symlink to a root-only file over the fill
 * file as soon as it appears, or pre-creates the names a fill would take. Everything happens on small
 * tmpfs mounts of the test's own, never on a real disk.
 */
const NOBODY = Number(execFileSync("id", ["-u", "nobody"]).toString().trim());
const MiB = 1024 * 1024;

const ATTACKER = `
const fs = require("node:fs");
const path = require("node:path");
const [mode, dir, ...rest] = process.argv.slice(2);
if (mode === "swap") {
  // Renames a symlink to one of the targets over every fill file that appears.
  const targets = rest;
  let n = 0;
  fs.watch(dir, (event, name) => {
    if (!name || !name.startsWith(".withstand-fill-")) return;
    const where = path.join(dir, name);
    try {
      if (fs.lstatSync(where).isSymbolicLink()) return;
      const link = path.join(dir, ".attacker-" + n);
      fs.symlinkSync(targets[n % targets.length], link);
      n++;
      fs.renameSync(link, where);
      console.log("swapped " + name);
    } catch {}
  });
  console.log("watching");
} else {
  // Pre-creates every name a runner of pid PID could take in the next seconds (the old scheme).
  const [pid] = rest;
  const now = Date.now();
  for (let ms = now - 200; ms < now + 4000; ms++) fs.writeFileSync(path.join(dir, ".withstand-fill-" + pid + "-" + ms), "mine");
  console.log("planted");
}
`;

let base = "";
let fillFs = "";
let otherFs = "";
let attackerScript = "";
const children: ChildProcess[] = [];

before(() => {
  base = mkdtempSync(join(tmpdir(), "withstand-fill-attack-"));
  chmodSync(base, 0o755);
  fillFs = join(base, "fs");
  otherFs = join(base, "other");
  for (const m of [fillFs, otherFs]) {
    mkdirSync(m);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m,mode=755", "tmpfs", m]);
  }
  attackerScript = join(base, "attacker.cjs");
  writeFileSync(attackerScript, ATTACKER, { mode: 0o644 });
});

after(() => {
  for (const c of children) stop(c);
  for (const m of [fillFs, otherFs]) {
    try {
      execFileSync("umount", [m]);
    } catch {}
  }
  rmSync(base, { recursive: true, force: true });
});

/** A root-only file with random content, and how to check it is untouched. */
function precious(root: string): { file: string; intact: () => void } {
  const dir = join(root, "secret");
  mkdirSync(dir, { mode: 0o700, recursive: true });
  const file = join(dir, "precious");
  const content = randomBytes(64 * 1024);
  writeFileSync(file, content, { mode: 0o600 });
  const sum = createHash("sha256").update(content).digest("hex");
  return {
    file,
    intact: () =>
      assert.equal(createHash("sha256").update(readFileSync(file)).digest("hex"), sum, `${file} was changed`),
  };
}

/** A directory of the fill file system that belongs to nobody. */
function nobodysDir(name: string): string {
  const dir = join(fillFs, name);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/** runuser forks the command: the whole process group goes. */
function stop(child: ChildProcess): void {
  try {
    process.kill(-(child.pid ?? 0), "SIGKILL");
  } catch {
    // Already gone.
  }
}

function asNobody(args: string[]): ChildProcess {
  const child = spawn("runuser", ["-u", "nobody", "--", process.execPath, attackerScript, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  children.push(child);
  return child;
}

const free = () => {
  const s = statfsSync(fillFs);
  return s.bavail * s.bsize;
};

describe("disk-fill in a directory its owner attacks", () => {
  it("never writes through a symlink renamed over the fill file, and frees its space (5 of 5 tries)", async () => {
    const dir = nobodysDir("swap");
    const sameFs = precious(fillFs);
    const elsewhere = precious(otherFs);
    const attacker = asNobody(["swap", dir, sameFs.file, elsewhere.file]);
    await waitForOutput(attacker, "watching");
    const swaps: string[] = [];
    attacker.stdout?.on("data", (d: Buffer) => swaps.push(...(d.toString().match(/swapped \S+/g) ?? [])));
    const freeBefore = free();
    for (let i = 0; i < 5; i++) {
      const { env } = isolatedEnv();
      const r = await runCli(
        ["inject", "disk-fill", "--path", dir, "--size", "4MiB", "--duration", "500ms"],
        {
          env,
        },
      );
      assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
      sameFs.intact();
      elsewhere.intact();
    }
    await until(() => swaps.length >= 5, 5000, "the attacker to have swapped each fill file");
    // Each symlink the attacker planted is still there: nothing of theirs was unlinked.
    const links = readdirSync(dir).filter((n) => n.startsWith(".withstand-fill-"));
    assert.equal(links.length, 5);
    for (const n of links)
      assert.ok(lstatSync(join(dir, n)).isSymbolicLink(), `${n} is the attacker's symlink`);
    // The space of every fill came back, though withstand's files had lost their names.
    assert.ok(Math.abs(free() - freeBefore) < MiB, `free ${free() / MiB} MiB, was ${freeBefore / MiB} MiB`);
    stop(attacker);
    await exited(attacker);
  });

  it("the watchdog of a SIGKILLed runner deletes nothing the attacker put in its place", async () => {
    const dir = nobodysDir("swap-killed");
    const target = precious(fillFs);
    const attacker = asNobody(["swap", dir, target.file]);
    await waitForOutput(attacker, "watching");
    const { env } = isolatedEnv();
    const runner = startCli(["inject", "disk-fill", "--path", dir, "--size", "4MiB", "--json"], { env });
    const done = finished(runner);
    await waitForOutput(runner, '"type":"fault-injected"');
    await until(() => readdirSync(dir).some((n) => n.startsWith(".withstand-fill-")), 2000, "the fill file");
    runner.kill("SIGKILL");
    await done;
    // The watchdog removes the fault's record once it has dealt with it.
    await until(
      () => readdirSync(join(env.WITHSTAND_STATE_DIR as string, "faults")).length === 0,
      8000,
      "the watchdog to revert the fault",
    );
    target.intact();
    for (const n of readdirSync(dir).filter((x) => x.startsWith(".withstand-fill-")))
      assert.ok(lstatSync(join(dir, n)).isSymbolicLink(), `${n} is the attacker's symlink, left alone`);
    stop(attacker);
    await exited(attacker);
  });

  it("names a pre-created file cannot take: the fill works and unlinks none of the planted files", async () => {
    const dir = nobodysDir("planted");
    const { env } = isolatedEnv();
    const runner = startCli(["inject", "disk-fill", "--path", dir, "--size", "2MiB", "--duration", "300ms"], {
      env,
    });
    const done = finished(runner);
    const planter = asNobody(["plant", dir, String(runner.pid)]);
    await waitForOutput(planter, "planted");
    const planted = readdirSync(dir).length;
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readdirSync(dir).length,
      planted,
      "every planted file is still there, and no fill file is left",
    );
  });
});

describe("disk-fill on a file system it cannot fill says what to do (exit 2, no stack)", () => {
  it("a read-only mount (EROFS)", async () => {
    const dir = join(base, "ro");
    mkdirSync(dir);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,ro", "tmpfs", dir]);
    try {
      const r = await runCli(["inject", "disk-fill", "--path", dir, "--size", "1MiB", "--duration", "1s"], {
        env: isolatedEnv().env,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`--path: ${dir} is on a read-only file system`));
      assert.doesNotMatch(r.stderr, /bug in withstand|\n\s+at /);
    } finally {
      execFileSync("umount", [dir]);
    }
  });

  it("a file system without a free inode (ENOSPC), a directory the user may not write (EACCES)", async (t) => {
    const dir = join(base, "inodes");
    mkdirSync(dir);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,nr_inodes=16", "tmpfs", dir]);
    try {
      for (let i = 0; ; i++) {
        try {
          writeFileSync(join(dir, `f${i}`), "");
        } catch {
          break;
        }
      }
      const r = await runCli(["inject", "disk-fill", "--path", dir, "--size", "1MiB", "--duration", "1s"], {
        env: isolatedEnv().env,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--path: no space left on the file system of/);
      assert.doesNotMatch(r.stderr, /bug in withstand|\n\s+at /);
    } finally {
      execFileSync("umount", [dir]);
    }
    // Run as nobody, in a directory of root's: a private state directory and store of nobody's. A
    // checkout in a private directory (mktemp -d) is out of nobody's reach: then that half cannot run.
    if (!nobodyCanRunBin()) {
      t.skip(`nobody cannot run ${BIN} (a parent directory is private)`);
      return;
    }
    const home = mkdtempSync(join(base, "nobody-"));
    chmodSync(home, 0o755);
    chownSync(home, NOBODY, NOBODY);
    const rootsDir = join(fillFs, "roots");
    mkdirSync(rootsDir, { mode: 0o755 });
    const child = spawn(
      "runuser",
      [
        "-u",
        "nobody",
        "--",
        "env",
        `WITHSTAND_STATE_DIR=${join(home, "state")}`,
        `WITHSTAND_STORE=${join(home, "store.db")}`,
        BIN,
        "inject",
        "disk-fill",
        "--path",
        rootsDir,
        "--size",
        "1MiB",
        "--duration",
        "1s",
      ],
      { stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    children.push(child);
    const r = await finished(child);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`--path: ${rootsDir} is not writable by this user \\(uid ${NOBODY}\\)`),
    );
    assert.doesNotMatch(r.stderr, /bug in withstand|\n\s+at /);
  });
});
