/**
 * Changes through the flag API: audited before they take effect (a change the store cannot record is
 * not made), and a lease's undo restores only what the lease set and nobody changed since.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { FlagControl } from "../../../src/flags/control.js";
import { FlagSet } from "../../../src/flags/flagset.js";
import type { FlagChange } from "../../../src/store/flag-audit.js";

function flags(): FlagSet {
  const set = new FlagSet();
  set.load([
    {
      file: "f.json",
      flags: {
        metadata: {},
        flags: {
          k: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
        },
      },
    },
  ]);
  return set;
}

const variant = (set: FlagSet) => set.evaluate("k", {}).body.variant;
const LEASE = "lease-abcdefghijklmnopqrstuvwxyz";

it("does not make a change the audit log cannot record", async () => {
  const set = flags();
  const control = new FlagControl(set, "s", () => Promise.reject(new Error("store down")));
  try {
    await assert.rejects(control.change("k", { defaultVariant: "off" }, "ops"), /store down/);
    assert.equal(variant(set), "on");
    assert.equal(control.leasesOf("k").length, 0);
  } finally {
    control.close();
  }
});

it("undoes a lease's change even when the audit log fails, and leaves a later change by someone else", async () => {
  const set = flags();
  const log: FlagChange[] = [];
  let failing = false;
  const control = new FlagControl(set, "s", async (c) => {
    if (failing) throw new Error("store down");
    log.push(c);
  });
  try {
    await control.change("k", { defaultVariant: "off", lease: { id: LEASE, ms: 60_000 } }, "runner");
    assert.equal(variant(set), "off");
    failing = true;
    assert.equal(await control.release(LEASE, "released"), true);
    assert.equal(variant(set), "on", "undone although the audit failed");
    failing = false;
    await control.change("k", { state: "DISABLED", lease: { id: `${LEASE}2`, ms: 60_000 } }, "runner");
    await control.change("k", { state: "ENABLED", reason: "ops overrode it" }, "ops");
    await control.release(`${LEASE}2`, "expired");
    assert.equal(set.effective("k")?.state, "ENABLED", "the later change by ops stays");
    assert.deepEqual(
      log.map((c) => `${c.actor}: ${c.reason}`),
      ["runner: ", "runner: ", "ops: ops overrode it"],
    );
  } finally {
    control.close();
  }
});

it("moves a lease's change step by step, and its undo goes back to before its first step", async () => {
  const set = new FlagSet();
  set.load([
    {
      file: "f.json",
      flags: {
        metadata: {},
        flags: {
          p: {
            state: "ENABLED",
            variants: { on: true, off: false },
            defaultVariant: "off",
            targeting: {
              fractional: [
                ["on", 0],
                ["off", 100],
              ],
            },
          },
          q: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
        },
      },
    },
  ]);
  const control = new FlagControl(set, "s", async () => undefined);
  try {
    const lease = { id: LEASE, ms: 60_000 };
    await control.change("p", { weights: { on: 10, off: 90 }, lease }, "rollout");
    await control.change("p", { weights: { on: 50, off: 50 }, lease }, "rollout");
    assert.deepEqual(set.overrides.get("p")?.weights, { on: 50, off: 50 });
    assert.equal(control.leasesOf("p").length, 1, "one lease, moved");
    await assert.rejects(control.change("q", { defaultVariant: "off", lease }, "other"), /already in use/);
    assert.equal(await control.release(LEASE, "expired"), true);
    assert.equal(set.overrides.get("p"), undefined, "back to the file's 0%, not to the 10% step");
  } finally {
    control.close();
  }
});

function weighted(): FlagSet {
  const set = new FlagSet();
  set.load([
    {
      file: "f.json",
      flags: {
        metadata: {},
        flags: {
          p: {
            state: "ENABLED",
            variants: { on: true, off: false },
            defaultVariant: "off",
            targeting: {
              fractional: [
                ["on", 0],
                ["off", 100],
              ],
            },
          },
        },
      },
    },
  ]);
  return set;
}

it("refuses a second lease holder on a flag, naming the holder, until the first lease ends", async () => {
  const set = weighted();
  const control = new FlagControl(set, "s", async () => undefined);
  try {
    await control.change(
      "p",
      { weights: { on: 10, off: 90 }, reason: "rollout A: step", lease: { id: LEASE, ms: 60_000 } },
      "ops",
    );
    await assert.rejects(
      control.change("p", { weights: { on: 50, off: 50 }, lease: { id: `${LEASE}B`, ms: 60_000 } }, "ops"),
      (err: Error & { status?: number }) =>
        err.status === 409 && /held by a lease of ops \(rollout A: step\)/.test(err.message),
    );
    assert.deepEqual(set.overrides.get("p")?.weights, { on: 10, off: 90 }, "A's step stands");
    assert.equal(control.holderOf("p"), "ops (rollout A: step)");
    await control.release(LEASE, "released");
    assert.equal(set.overrides.get("p"), undefined, "back to 0% when A ends");
    await control.change(
      "p",
      { weights: { on: 50, off: 50 }, lease: { id: `${LEASE}B`, ms: 60_000 } },
      "ops",
    );
    await control.release(`${LEASE}B`, "expired");
    assert.equal(set.overrides.get("p"), undefined, "B's undo is to 0% as well");
  } finally {
    control.close();
  }
});

it("drops a lease's change on release even while its flag is missing from the files", async () => {
  const set = flags();
  const control = new FlagControl(set, "s", async () => undefined);
  try {
    await control.change("k", { defaultVariant: "off", lease: { id: LEASE, ms: 60_000 } }, "ops");
    assert.equal(variant(set), "off");
    // The file is rewritten without the flag (an edit in progress)...
    set.load([{ file: "f.json", flags: { metadata: {}, flags: {} } }]);
    assert.equal(await control.release(LEASE, "released"), true);
    // ...and restored: the flag is back as the file has it, not with the released flip.
    set.load([
      {
        file: "f.json",
        flags: {
          metadata: {},
          flags: { k: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" } },
        },
      },
    ]);
    assert.equal(variant(set), "on");
    assert.equal(set.overrides.get("k"), undefined);
  } finally {
    control.close();
  }
});

it("refuses weights that sum to 0 or past a safe whole number", async () => {
  const set = weighted();
  const control = new FlagControl(set, "s", async () => undefined);
  try {
    for (const weights of [{ on: 0, off: 0 }, { off: 0 }, { on: Number.MAX_SAFE_INTEGER, off: 5 }])
      await assert.rejects(
        control.change("p", { weights }, "ops"),
        (err: Error & { status?: number }) =>
          err.status === 400 && /weights: p's weights would sum to/.test(err.message),
        JSON.stringify(weights),
      );
    assert.equal(set.overrides.get("p"), undefined);
  } finally {
    control.close();
  }
});
