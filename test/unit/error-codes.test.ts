import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ERROR_CODES } from "../../src/core/errors.js";
import { ROOT } from "../helpers/paths.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("error codes", () => {
  it("the README's Error codes table lists exactly the codes withstand has, each with its meaning", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.split("### Error codes")[1]?.split("\n## ")[0] ?? "";
    const rows = [...section.matchAll(/^\| `(WS_[A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(Object.fromEntries(rows), { ...ERROR_CODES });
  });

  it("every error class in src/ has a code: it extends WithstandError, never Error itself", () => {
    const offenders: string[] = [];
    for (const file of sources(join(ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/class (\w+) extends Error\b/g))
        if (m[1] !== "WithstandError") offenders.push(`${file.slice(ROOT.length)}: ${m[1]}`);
    }
    assert.deepEqual(offenders, []);
  });

  it("every code a source file names is in the table", () => {
    const unknown = new Set<string>();
    for (const file of sources(join(ROOT, "src")))
      for (const m of readFileSync(file, "utf8").matchAll(/"(WS_[A-Z_]+)"/g))
        if (!((m[1] as string) in ERROR_CODES)) unknown.add(m[1] as string);
    assert.deepEqual([...unknown], []);
  });
});
