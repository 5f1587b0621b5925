import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/paths.js";

/** A scratch project that depends on withstand as an installed package would (node_modules/withstand). */
function scratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "withstand-lib-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "withstand"), "dir");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "scratch", type: "module", private: true }),
  );
  return dir;
}

describe("withstand as a library", () => {
  it("the package ships its entry point, types and binary", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: ROOT, encoding: "utf8" });
    const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
    for (const f of ["bin/withstand", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli/entry.js"])
      assert.ok(files.has(f), `${f} is in the package`);
    assert.ok(![...files].some((f) => f.startsWith("dist/test/")), "tests are not shipped");
  });

  it("imports by name, typed, and runs an experiment that is stored", () => {
    const dir = scratchProject();
    writeFileSync(
      join(dir, "exp.yaml"),
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: from-a-library}
spec:
  method:
    - {type: action, name: noop, provider: {type: process, path: "true"}}
`,
    );
    writeFileSync(
      join(dir, "main.ts"),
      `import { EventBus, loadExperimentFile, openStore, runExperiment, runLoad, runRollout, type RunEvent } from "withstand";

const { spec, diagnostics } = await loadExperimentFile("exp.yaml");
if (!spec) throw new Error(JSON.stringify(diagnostics));
const store = openStore("runs.db");
const bus = new EventBus();
const seen: RunEvent["type"][] = [];
bus.on((e) => seen.push(e.type));
const runId = "lib-run-1";
await store.beginRun({ id: runId, kind: "experiment", title: spec.title, source: spec.file, startedAt: new Date().toISOString() });
const { journal, exitCode } = await runExperiment(spec, { runId, bus, signal: new AbortController().signal });
await store.finishRun(runId, { status: journal.status, deviated: journal.deviated, outcome: journal.withstand.outcome, exitCode, endedAt: journal.end, durationMs: journal.duration * 1000, result: journal });
console.log(JSON.stringify({ exitCode, seen, stored: (await store.listRuns()).map((r) => r.title), fns: [typeof runLoad, typeof runRollout] }));
await store.close();
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
        },
        files: ["main.ts"],
      }),
    );
    // Type-checks against the shipped declarations, then runs the compiled script.
    execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
      cwd: dir,
      encoding: "utf8",
    });
    const out = execFileSync(process.execPath, ["main.js"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, WITHSTAND_STATE_DIR: join(dir, "state") },
    });
    const r = JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.seen.slice(0, 1), ["run-started"]);
    assert.equal(r.seen.at(-1), "run-finished");
    assert.deepEqual(r.stored, ["from-a-library"]);
    assert.deepEqual(r.fns, ["function", "function"]);
  });
});
