import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { ROOT } from "../helpers/paths.js";

// core/ is pure: it may import itself and a few side-effect-free libraries, never I/O or other layers.
const ALLOWED = new Set(["hdr-histogram-js", "jsonpath-plus"]);

it("src/core imports nothing with side effects", () => {
  const dir = join(ROOT, "src", "core");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(/from\s+"([^"]+)"/g)) {
      const spec = m[1] ?? "";
      const ok = (spec.startsWith("./") && !spec.includes("..")) || ALLOWED.has(spec);
      assert.ok(ok, `src/core/${file} imports ${spec}`);
    }
  }
});
