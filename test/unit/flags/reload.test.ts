/**
 * Reloads of `flags serve`: a file written in chunks is applied once it reads the same for a while (its
 * later flags never vanish meanwhile), and an event that leaves the texts as they were parses nothing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { formatDiagnostic } from "../../../src/documents/diagnostic.js";
import { flagErrors, readFlagText } from "../../../src/documents/flag-file.js";
import { FlagServer } from "../../../src/flags/server.js";
import { until } from "../../helpers/processes.js";

const flag = (variant: string) => ({
  state: "ENABLED",
  variants: { on: true, off: false },
  defaultVariant: variant,
});

async function serve(t: { after: (f: () => Promise<void> | void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), "ws-reload-"));
  const file = join(dir, "flags.json");
  writeFileSync(file, JSON.stringify({ flags: { a: flag("on"), b: flag("on") } }, null, 2));
  let reads = 0;
  const server = new FlagServer({
    files: [file],
    host: "127.0.0.1",
    port: 0,
    tokens: [],
    corsOrigins: [],
    read: (f, text) => {
      reads++;
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
  await server.start();
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, file, dir, reads: () => reads };
}

it("applies a file written in two chunks 400 ms apart as a whole: its other flags never vanish", async (t) => {
  const { server, file } = await serve(t);
  const full = JSON.stringify({ flags: { a: flag("off"), b: flag("off") } }, null, 2);
  // The first chunk alone is a valid file with only `a` (as a YAML writer flushing mid-file makes).
  writeFileSync(file, JSON.stringify({ flags: { a: flag("off") } }));
  let missing = 0;
  const watchB = setInterval(() => {
    if (!server.flags.has("b")) missing++;
  }, 5);
  t.after(() => clearInterval(watchB));
  await new Promise<void>((ok) =>
    setTimeout(() => {
      writeFileSync(file, full);
      ok();
    }, 400),
  );
  await until(() => server.flags.definition("b")?.defaultVariant === "off", 10_000, "the whole file applied");
  clearInterval(watchB);
  assert.equal(missing, 0, "flag b was never missing while the file was being written");
  assert.equal(server.flags.definition("a")?.defaultVariant, "off");
});

it("does not parse the files again when an event leaves their texts as they were", async (t) => {
  const { server, dir, reads } = await serve(t);
  const before = reads();
  const reloads = server.reloads;
  writeFileSync(join(dir, "unrelated.txt"), "x");
  await until(() => server.reloads > reloads, 10_000, "the reload after the event");
  assert.equal(reads(), before, "an unchanged file is not parsed");
});

it("reads a large JSON flag file the fast way, and still reports a key given twice at its line", () => {
  const buckets = Array.from({ length: 30_000 }, (_, i) => [`v${i}`, 1]);
  const variants = Object.fromEntries(buckets.map(([v], i) => [v, i]));
  const big = JSON.stringify({
    flags: { big: { state: "ENABLED", variants, defaultVariant: "v0", targeting: { fractional: buckets } } },
  });
  const r = readFlagText("big.json", big);
  assert.equal(Object.keys(r.flags?.flags.big?.variants ?? {}).length, 30_000);
  assert.deepEqual(r.diagnostics, []);
  const twice =
    '{\n  "flags": {\n    "a": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},\n    "a": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}\n  }\n}\n';
  const d = readFlagText("twice.json", twice).diagnostics.filter((x) => x.severity === "error");
  assert.equal(d.length > 0, true, "a duplicate key is an error, as the YAML reader reports it");
  assert.equal(d[0]?.line, 4);
});
