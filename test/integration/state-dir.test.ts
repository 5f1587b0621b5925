import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited } from "../helpers/processes.js";

const NOBODY = Number(execFileSync("id", ["-u", "nobody"]).toString().trim());
const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/** As nobody: once `state` appears under PARENT, renames it away and plants a clock ten years ahead. */
const ATTACKER = `
const fs = require("node:fs");
const path = require("node:path");
const parent = process.argv[2];
const state = path.join(parent, "state");
let done = false;
const swap = () => {
  if (done || !fs.existsSync(state)) return;
  done = true;
  fs.renameSync(state, path.join(parent, "old"));
  fs.mkdirSync(path.join(state, "clocks"), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(state, "clocks", "orders.rc"), "+10y\\n");
  console.log("swapped");
};
fs.watch(parent, swap);
console.log("watching");
`;

let base = "";
const children: ChildProcess[] = [];
before(() => {
  base = mkdtempSync(join(tmpdir(), "withstand-state-attack-"));
  chmodSync(base, 0o755);
  writeFileSync(join(base, "attacker.cjs"), ATTACKER, { mode: 0o644 });
});
after(() => {
  for (const c of children) {
    try {
      process.kill(-(c.pid ?? 0), "SIGKILL");
    } catch {}
    c.kill("SIGKILL");
  }
  rmSync(base, { recursive: true, force: true });
});

describe("a state directory someone else could swap is refused", () => {
  it("under a parent owned by another user, who swaps it: exec, inject and halt refuse it (exit 2), nothing runs on the planted clock", async () => {
    const parent = join(base, "u");
    mkdirSync(parent, { mode: 0o755 });
    chownSync(parent, NOBODY, NOBODY);
    const attacker = spawn(
      "runuser",
      ["-u", "nobody", "--", process.execPath, join(base, "attacker.cjs"), parent],
      {
        stdio: ["ignore", "pipe", "inherit"],
        detached: true,
      },
    );
    children.push(attacker);
    await waitForOutput(attacker, "watching");
    const env = { ...isolatedEnv().env, WITHSTAND_STATE_DIR: join(parent, "state") };
    const year =
      "setInterval(() => console.log('year', new Date().getFullYear()), 50); setTimeout(() => process.exit(0), 1500)";
    const exec = await runCli(["exec", "--as", "orders", "--", process.execPath, "-e", year], { env });
    assert.equal(exec.code, 2, exec.stdout + exec.stderr);
    assert.match(exec.stderr, new RegExp(`its parent directory ${parent} is owned by uid ${NOBODY}`));
    assert.doesNotMatch(exec.stdout, /year/, "the command never ran");
    for (const args of [
      ["halt"],
      ["inject", "cpu-stress", "--load", "10%", "--cores", "[0]", "--duration", "1s"],
    ]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /owned by uid \d+, neither you \(uid 0\) nor root/);
    }
    assert.equal(existsSync(join(parent, "state")), false, "nothing was created under the parent");
    process.kill(-(attacker.pid ?? 0), "SIGKILL");
    await exited(attacker);
  });

  it("under a group-writable parent that is not sticky", async () => {
    const parent = join(base, "shared");
    mkdirSync(parent);
    chmodSync(parent, 0o775);
    const r = await runCli(["halt"], {
      env: { ...isolatedEnv().env, WITHSTAND_STATE_DIR: join(parent, "state") },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /its parent directory .*shared is writable by others \(mode 775, not sticky\)/);
  });
});

describe("clocks are per user and per state directory", { skip: !existsSync(LIBFAKETIME) }, () => {
  it("clock-skew --clock orders counts only the processes on this state directory's clock orders", async () => {
    const a = isolatedEnv().env;
    const b = isolatedEnv().env;
    const wait = ["--", process.execPath, "-e", "console.log('up'); setTimeout(() => {}, 60000)"];
    const mine = startCli(["exec", "--as", "orders", ...wait], { env: a });
    const theirs = startCli(["exec", "--as", "orders", ...wait], { env: b });
    children.push(mine, theirs);
    try {
      await Promise.all([waitForOutput(mine, "up"), waitForOutput(theirs, "up")]);
      const r = await runCli(
        ["inject", "clock-skew", "--clock", "orders", "--offset", "+1h", "--duration", "500ms", "--json"],
        { env: a },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /clock orders 1 process\b/);
      assert.doesNotMatch(r.stdout, /2 processes/);
    } finally {
      mine.kill("SIGTERM");
      theirs.kill("SIGTERM");
      await Promise.all([finished(mine), finished(theirs)]);
    }
  });
});
