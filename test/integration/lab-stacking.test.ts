import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { injectHeld, labUp, observe, probe, run, type UpLab, writeLab } from "../helpers/lab.js";
import { isolatedEnv } from "../helpers/paths.js";

const root = process.getuid?.() === 0;

/**
 * Every pair of lab fault kinds, stacked on the same host (b1, zone b): reverting either one leaves the
 * other exactly in force: its nftables table or htb classes byte for byte as they were, and its effect
 * still observed from outside; reverting both leaves nothing of ours.
 */
describe("lab faults stack", { skip: !root && "needs root" }, () => {
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

  const connects = async (from: string, to: string, port: number) =>
    (await probe(lab.ns(from), ["tcp", lab.ip(to), String(port), "1", "300"])).connected === 1;

  /** Each kind's attributes, and a check of its effect that the other kinds' faults do not fake. */
  const KINDS: Record<string, { attrs: () => string[]; holds: () => Promise<void> }> = {
    partition: {
      attrs: () => ["--between", "[a, b]"],
      holds: async () => assert.equal(await connects("a1", "b1", 8081), false, "partition: a1 reached b1"),
    },
    "zone-down": {
      attrs: () => ["--zone", "b"],
      holds: async () => assert.equal(await connects("c1", "b1", 8081), false, "zone-down: c1 reached b1"),
    },
    blackhole: {
      attrs: () => ["--host", "b1", "--ports", "[8080]"],
      holds: async () =>
        assert.equal(await connects("c1", "b1", 8080), false, "blackhole: c1 reached b1:8080"),
    },
    loss: {
      attrs: () => ["--host", "b1", "--percent", "50", "--protocol", "udp"],
      holds: async () => {
        const seen = await observe(lab.ns("b1"), lab.ip("c1"));
        await probe(lab.ns("c1"), ["udp", lab.ip("b1"), "9999", "400"]);
        const { udp } = await seen();
        assert.ok(udp > 100 && udp < 300, `loss 50%: ${udp} of 400 arrived`);
      },
    },
    bandwidth: {
      attrs: () => ["--host", "b1", "--rate", "1mbit"],
      holds: async () => {
        for (const [ns, dev] of [
          [lab.ns("b1"), "eth0"],
          [lab.info.hub, lab.info.hosts[1]?.port ?? ""],
        ] as const)
          assert.match(await run("tc", ["-n", ns, "class", "show", "dev", dev]), /rate 1Mbit/);
      },
    },
  };

  /** What of ours is in the kernel: the hub's fault tables (full text) and the htb state of b1's two devices. */
  const kernel = async () => ({
    nft: await run("ip", ["netns", "exec", lab.info.hub, "nft", "list", "ruleset"]),
    tc: [
      await run("tc", ["-n", lab.ns("b1"), "class", "show", "dev", "eth0"]),
      await run("tc", ["-n", lab.info.hub, "class", "show", "dev", lab.info.hosts[1]?.port ?? ""]),
      await run("tc", ["-n", lab.ns("b1"), "filter", "show", "dev", "eth0"]),
    ].join("\n"),
  });
  const clean = async () => {
    const k = await kernel();
    assert.doesNotMatch(k.nft, /wsf-/);
    assert.equal(k.tc.trim(), "");
  };

  /** The hub's tables, one text each, counters blanked (they count packets, not rules). */
  const tables = (nft: string) =>
    nft
      .split(/^(?=table )/m)
      .filter((t) => t.startsWith("table bridge wsf-"))
      .map((t) => t.replace(/packets \d+ bytes \d+/g, "packets - bytes -"))
      .sort();

  const names = Object.keys(KINDS);
  const pairs = names.flatMap((x, i) => names.slice(i + 1).map((y) => [x, y] as const));
  // Each pair stacks both faults; alternate pairs revert the earlier or the later one first, so every
  // kind is both the one reverted and the one that must stay.
  pairs.forEach(([a, b], i) => {
    const [gone, stays] = i % 2 === 0 ? [a, b] : [b, a];
    it(`${a} + ${b}: reverting ${gone} leaves ${stays} exactly in force`, async () => {
      const kStays = KINDS[stays] as (typeof KINDS)[string];
      const [first, second] = await Promise.all([
        injectHeld(env, a, ["--lab", name, ...(KINDS[a] as (typeof KINDS)[string]).attrs()]),
        injectHeld(env, b, ["--lab", name, ...(KINDS[b] as (typeof KINDS)[string]).attrs()]),
      ]);
      const [fGone, fStays] = gone === a ? [first, second] : [second, first];
      const both = await kernel();
      assert.equal(tables(both.nft).length, a === "bandwidth" || b === "bandwidth" ? 1 : 2);
      await fGone.revert();
      const after = await kernel();
      const left = tables(after.nft);
      // Exactly the reverted fault's table is gone; the other's is byte for byte what it was.
      assert.equal(left.length, tables(both.nft).length - (gone === "bandwidth" ? 0 : 1));
      for (const t of left) assert.ok(tables(both.nft).includes(t), `changed:\n${t}`);
      if (gone === "bandwidth") assert.equal(after.tc.trim(), "");
      else assert.equal(after.tc, both.tc);
      await kStays.holds();
      await fStays.revert();
      await clean();
    });
  });
});
