import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { track } from "../helpers/children.js";
import { finished, runCli } from "../helpers/cli.js";
import {
  injectHeld,
  labUp,
  namespacesOf,
  observe,
  probe,
  run,
  startProbe,
  type UpLab,
  writeLab,
} from "../helpers/lab.js";
import { BIN, isolatedEnv, nobodyCanRunBin } from "../helpers/paths.js";

const root = process.getuid?.() === 0;

describe("network lab", { skip: !root && "needs root" }, () => {
  const { dir, env } = isolatedEnv();
  let lab: UpLab;
  let name: string;

  before(async () => {
    const l = writeLab(dir, ["a", "b", "c"]);
    name = l.name;
    lab = await labUp(l.file, env);
  });
  after(async () => {
    await lab?.down();
  });

  it("hosts reach each other by name through the lab's DNS", async () => {
    const out = await run("ip", [
      "netns",
      "exec",
      lab.ns("a1"),
      process.execPath,
      "-e",
      "fetch('http://b1:8080').then(r=>r.text()).then(t=>console.log(t))",
    ]);
    assert.equal(out.trim(), "8080");
  });

  it("a partition lets no TCP, UDP or ICMP packet cross while active, and all cross within 1 s after its revert", async () => {
    const [a, b] = [lab.ns("a1"), lab.ns("b1")];
    const atB = await observe(b, lab.ip("a1"));
    const atA = await observe(a, lab.ip("b1"));
    const fault = await injectHeld(env, "partition", ["--lab", name, "--between", "[a, b]"]);
    let reverted = false;
    try {
      const tcp = await probe(a, ["tcp", lab.ip("b1"), "8080", "3", "300"]);
      await probe(a, ["udp", lab.ip("b1"), "9999", "50"]);
      await probe(b, ["udp", lab.ip("a1"), "9999", "50"]);
      await run("ip", ["netns", "exec", a, "ping", "-c", "3", "-i", "0.2", "-W", "0.3", lab.ip("b1")]).catch(
        () => "",
      );
      await run("ip", ["netns", "exec", b, "ping", "-c", "3", "-i", "0.2", "-W", "0.3", lab.ip("a1")]).catch(
        () => "",
      );
      assert.equal(tcp.connected, 0);
      assert.deepEqual(await atB(), { tcp: 0, udp: 0, icmp: 0 });
      assert.deepEqual(await atA(), { tcp: 0, udp: 0, icmp: 0 });
      // Hosts outside the partition still talk to both sides.
      assert.equal((await probe(lab.ns("c1"), ["tcp", lab.ip("b1"), "8080", "1", "1000"])).connected, 1);
      // A watcher in a1 tries b1 every few ms from before the revert: when its first connect succeeds.
      const watcher = startProbe(a, ["until-tcp", lab.ip("b1"), "8080"]);
      const lines: string[] = [];
      let wake: (() => void) | undefined;
      watcher.stdout?.on("data", (d: Buffer) => {
        lines.push(...d.toString().split("\n").filter(Boolean));
        wake?.();
      });
      const next = async (): Promise<Record<string, number>> => {
        while (lines.length === 0) await new Promise<void>((r) => (wake = r));
        return JSON.parse(lines.shift() as string) as Record<string, number>;
      };
      await next(); // started: it is trying before the revert begins
      const t0 = performance.now();
      await fault.revert();
      const revertedAt = Date.now();
      reverted = true;
      const reverting = performance.now() - t0;
      const tcpBack = ((await next()).at ?? 0) - revertedAt;
      const tcpAfter = await probe(a, ["tcp", lab.ip("b1"), "8080", "3", "1000"]);
      await probe(a, ["udp", lab.ip("b1"), "9999", "50"]);
      await run("ip", ["netns", "exec", a, "ping", "-c", "1", "-W", "1", lab.ip("b1")]);
      const crossedWithin = performance.now() - t0;
      assert.equal(tcpAfter.connected, 3);
      const counts = await atB();
      assert.equal(counts.udp, 50);
      assert.equal(counts.icmp, 1);
      assert.ok(counts.tcp >= 3);
      process.stdout.write(
        `# partition: inject's revert (SIGINT to exit) ${reverting.toFixed(0)} ms; first TCP connect across ${tcpBack} ms after it exited; TCP+UDP+ICMP probes (spawned after) all crossed ${crossedWithin.toFixed(0)} ms after the revert began\n`,
      );
    } finally {
      if (!reverted) await fault.revert();
    }
  });

  it("loss 20% drops 20 ± 3% of 10,000 UDP datagrams", async () => {
    const atB = await observe(lab.ns("b1"), lab.ip("a1"));
    const fault = await injectHeld(env, "loss", ["--lab", name, "--host", "b1", "--percent", "20"]);
    try {
      const sent = await probe(lab.ns("a1"), ["udp", lab.ip("b1"), "9999", "10000"]);
      assert.equal(sent.sent, 10000);
      const { udp } = await atB();
      const lost = 100 * (1 - udp / 10000);
      process.stdout.write(`# loss 20%: ${udp} of 10000 arrived, measured loss ${lost.toFixed(2)}%\n`);
      assert.ok(Math.abs(lost - 20) <= 3, `measured ${lost}%`);
    } finally {
      await fault.revert();
    }
  });

  it("bandwidth 1mbit holds a bulk TCP transfer to 1 Mbit/s ± 10%", async () => {
    // Timed after the first 128 KB (the burst and TCP's start), over 512 KB: ~4 s at the cap.
    const sink = startProbe(lab.ns("c1"), ["sink", "9000", String(128 * 1024)]);
    const result = new Promise<string>((resolve) =>
      sink.stdout?.once("data", (d: Buffer) => resolve(d.toString())),
    );
    await probeReady(lab.ns("a1"), lab.ip("c1"), 9000);
    const fault = await injectHeld(env, "bandwidth", [
      "--lab",
      name,
      "--host",
      "c1",
      "--rate",
      "1mbit",
      "--burst",
      "16kb",
    ]);
    try {
      await probe(lab.ns("a1"), ["bulk", lab.ip("c1"), "9000", String(640 * 1024)]);
      const { bitsPerSecond } = JSON.parse(await result) as { bitsPerSecond: number };
      process.stdout.write(
        `# bandwidth 1mbit: measured ${(bitsPerSecond / 1e6).toFixed(3)} Mbit/s of TCP payload\n`,
      );
      // The cap counts whole frames on the wire: a full TCP segment carries 1448 bytes of payload in a
      // 1514-byte Ethernet frame, so 1 Mbit/s on the wire is 0.956 Mbit/s of payload, ± 10%.
      const payloadAtCap = 1e6 * (1448 / 1514);
      assert.ok(
        Math.abs(bitsPerSecond - payloadAtCap) <= 0.1 * payloadAtCap,
        `measured ${bitsPerSecond} bit/s of payload (expected ${payloadAtCap} ± 10%)`,
      );
    } finally {
      await fault.revert();
      sink.kill("SIGKILL");
    }
    // Reverted: no qdisc of ours is left on either device.
    assert.doesNotMatch(await run("tc", ["-n", lab.ns("c1"), "qdisc", "show", "dev", "eth0"]), /htb/);
    assert.doesNotMatch(await run("tc", ["-n", lab.info.hub, "qdisc", "show"]), /htb/);
  });

  it("a fault naming a zone or host the lab does not have exits 2 saying what exists, and changes nothing", async () => {
    const r = await runCli(["inject", "zone-down", "--lab", name, "--zone", "z"], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /zone "z" is not in lab t[0-9a-f]{6} \(expected one of a, b, c\)/);
    const h = await runCli(["inject", "blackhole", "--lab", name, "--host", "nope"], { env });
    assert.equal(h.code, 2, h.stderr);
    assert.match(h.stderr, /host "nope" is not in lab t[0-9a-f]{6} \(expected one of a1, b1, c1\)/);
    const missing = await runCli(["inject", "loss", "--lab", "absent", "--host", "a1", "--percent", "5"], {
      env,
    });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /no running lab is named "absent"/);
    assert.doesNotMatch(await run("ip", ["netns", "exec", lab.info.hub, "nft", "list", "tables"]), /wsf-/);
  });

  it("a Lab file with a mistake exits 2 naming file:line:col before anything is made", async () => {
    const file = join(dir, "bad-lab.yaml");
    writeFileSync(
      file,
      "apiVersion: withstand/v1\nkind: Lab\nmetadata: { name: bad }\nspec:\n  hosts:\n    - name: a1\n      zone: a\n      procesess: []\n",
    );
    const r = await runCli(["lab", "up", file], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad-lab\.yaml:8:7: .*procesess/);
  });

  it("a blackhole by pid acts in that process's own namespace only when WITHSTAND_NETNS_ALLOW lists it, never in the machine's", async () => {
    const pid = Number((await run("ip", ["netns", "pids", lab.ns("b1")])).trim().split("\n")[0]);
    const refused = await runCli(["inject", "blackhole", "--pid", String(pid), "--ports", "[8080]"], { env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /node \(pid \d+\) is not in WITHSTAND_NETNS_ALLOW/);
    const allowed = { ...env, WITHSTAND_NETNS_ALLOW: "node" };
    const own = await runCli(["inject", "blackhole", "--pid", String(process.pid), "--ports", "[8080]"], {
      env: allowed,
    });
    assert.equal(own.code, 2, own.stderr);
    assert.match(own.stderr, /shares the machine's own network namespace; refusing/);
    const fault = await injectHeld(allowed, "blackhole", ["--pid", String(pid), "--ports", "[8080]"]);
    try {
      assert.equal((await probe(lab.ns("a1"), ["tcp", lab.ip("b1"), "8080", "1", "300"])).connected, 0);
      assert.equal((await probe(lab.ns("a1"), ["tcp", lab.ip("b1"), "8081", "1", "1000"])).connected, 1);
      assert.match(
        await run("ip", ["netns", "exec", lab.ns("b1"), "nft", "list", "tables"]),
        /table inet wsf-/,
      );
    } finally {
      await fault.revert();
    }
    assert.doesNotMatch(await run("ip", ["netns", "exec", lab.ns("b1"), "nft", "list", "tables"]), /wsf-/);
    assert.doesNotMatch(await run("ip", ["netns", "list"]), /ws-p[0-9a-f]{8}/);
    assert.equal((await probe(lab.ns("a1"), ["tcp", lab.ip("b1"), "8080", "1", "1000"])).connected, 1);
    // Its runner SIGKILLed: the watchdog deletes the table and the namespace's name.
    const killed = await injectHeld(allowed, "loss", ["--pid", String(pid), "--percent", "50"]);
    killed.child.kill("SIGKILL");
    for (let i = 0; ; i++) {
      const tables = await run("ip", ["netns", "exec", lab.ns("b1"), "nft", "list", "tables"]);
      if (!/wsf-/.test(tables) && !/ws-p[0-9a-f]{8}/.test(await run("ip", ["netns", "list"]))) break;
      assert.ok(i < 200, "the watchdog reverted the pid fault within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("lab down leaves no namespace, /etc/netns entry or lab of ours", async () => {
    const l = writeLab(dir, ["x"]);
    const other = await labUp(l.file, env);
    const id = other.info.id;
    assert.equal((await namespacesOf(id)).length, 2);
    const r = await runCli(["lab", "down", l.name], { env });
    assert.equal(r.code, 0, r.stderr);
    await other.down();
    assert.deepEqual(await namespacesOf(id), []);
    assert.equal(existsSync(`/etc/netns/ws-${id}-h0`), false);
    // The first lab is untouched.
    assert.equal((await namespacesOf(lab.info.id)).length, 4);
  });
});

async function probeReady(ns: string, ip: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await probe(ns, ["tcp", ip, String(port), "1", "200"])).connected === 1) return;
  }
  throw new Error(`${ip}:${port} never listened`);
}

it("without root, lab up says which capabilities are missing and exits 2", {
  skip:
    (!root && "needs root to drop it") ||
    (!nobodyCanRunBin() && "nobody cannot reach this checkout (a private parent directory)"),
}, async () => {
  const { dir, env } = isolatedEnv();
  chmodSync(dir, 0o755);
  const l = writeLab(dir, ["a"]);
  chmodSync(l.file, 0o644);
  const child = track(
    spawn(BIN, ["lab", "up", l.file], {
      env: { ...env, WITHSTAND_STATE_DIR: join(dir, "nobody") },
      uid: 65534,
      gid: 65534,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const res = await finished(child);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /WS_LAB_PRIVILEGE/);
  assert.match(res.stderr, /missing CAP_NET_ADMIN and CAP_SYS_ADMIN/);
});
