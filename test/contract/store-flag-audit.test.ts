/**
 * The flag audit log's part of the Store contract, run against every adapter: changes come back
 * newest first with their before and after intact, filtered by flag and server, and a change written
 * by another process (a flag server) is read by this one (`withstand flags log`).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { FlagChange } from "../../src/store/flag-audit.js";
import { openStore } from "../../src/store/open.js";
import { ROOT } from "../helpers/paths.js";
import { startPostgres } from "../helpers/postgres.js";

const postgres = await startPostgres();
after(() => postgres.stop());

const ADAPTERS = [
  { name: "sqlite", location: () => join(mkdtempSync(join(tmpdir(), "withstand-store-")), "store.db") },
  { name: "postgres", location: () => postgres.freshStore() },
];

const change = (i: number, flag: string, server = "s1"): FlagChange => ({
  ts: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  server,
  flag,
  actor: i % 2 ? "ops" : "file",
  before: { state: "ENABLED", defaultVariant: "on", weights: { on: i, off: 100 - i } },
  after: { state: "DISABLED", defaultVariant: "off" },
  reason: `change ${i}`,
});

for (const adapter of ADAPTERS) {
  describe(`store contract (flag audit): ${adapter.name}`, () => {
    it("returns changes newest first, exactly as written, filtered by flag and server", async () => {
      const store = openStore(adapter.location());
      try {
        assert.deepEqual(await store.flagChanges(), []);
        for (let i = 1; i <= 5; i++) await store.recordFlagChange(change(i, i <= 3 ? "a" : "b"));
        await store.recordFlagChange({ ...change(6, "a", "s2"), before: null });
        const all = await store.flagChanges();
        assert.deepEqual(
          all.map((c) => c.reason),
          ["change 6", "change 5", "change 4", "change 3", "change 2", "change 1"],
        );
        assert.deepEqual(all[5], change(1, "a"));
        assert.equal(all[0]?.before, null);
        assert.deepEqual(
          (await store.flagChanges({ flag: "a" })).map((c) => c.reason),
          ["change 6", "change 3", "change 2", "change 1"],
        );
        assert.deepEqual(
          (await store.flagChanges({ flag: "a", server: "s1", limit: 2 })).map((c) => c.reason),
          ["change 3", "change 2"],
        );
      } finally {
        await store.close();
      }
    });

    it("reads a change another process wrote", async () => {
      const location = adapter.location();
      const store = openStore(location);
      try {
        const open = JSON.stringify(join(ROOT, "dist", "src", "store", "open.js"));
        const script = `import { openStore } from ${open};
const s = openStore(${JSON.stringify(location)});
await s.recordFlagChange(${JSON.stringify(change(7, "kill-switch"))});
await s.close();`;
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" });
        const code = await new Promise((resolve) => child.on("close", resolve));
        assert.equal(code, 0);
        assert.deepEqual(await store.flagChanges({ flag: "kill-switch" }), [change(7, "kill-switch")]);
      } finally {
        await store.close();
      }
    });
  });
}
