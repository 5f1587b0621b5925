import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { ROOT } from "../helpers/paths.js";

const PACKAGE = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string }).name;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A scratch project that depends on withstand as an installed package would (node_modules/<name>). */
function scratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "withstand-lib-"));
  dirs.push(dir);
  mkdirSync(join(dir, "node_modules", ...PACKAGE.split("/").slice(0, -1)), { recursive: true });
  symlinkSync(ROOT, join(dir, "node_modules", PACKAGE), "dir");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "scratch", type: "module", private: true }),
  );
  return dir;
}

/** The README's library example, exactly as written (under its library-example marker). */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = /<!-- library-example[^>]*-->\n```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(m?.[1], "the README has a library example under its marker");
  // The package's name as package.json says it (the README says the published name).
  return m[1].replace(/from "@withstand\/cli"/, `from "${PACKAGE}"`);
}

describe("withstand as a library", () => {
  it("the package ships its entry point, types and binary", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: ROOT, encoding: "utf8" });
    const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
    for (const f of ["bin/withstand", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli/entry.js"])
      assert.ok(files.has(f), `${f} is in the package`);
    assert.ok(![...files].some((f) => f.startsWith("dist/test/")), "tests are not shipped");
  });

  it("the README's example type-checks, runs, and its run is listed by `withstand runs` as a CLI run is", async () => {
    const dir = scratchProject();
    writeFileSync(
      join(dir, "freeze.yaml"),
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: from-the-readme}
spec:
  method:
    - {type: action, name: noop, provider: {type: process, path: "true"}}
`,
    );
    writeFileSync(join(dir, "main.ts"), readmeExample());
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
        },
        files: ["main.ts"],
      }),
    );
    // Type-checks against the shipped declarations, then runs the compiled script as a user would.
    execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
      cwd: dir,
      encoding: "utf8",
    });
    const env = {
      ...process.env,
      WITHSTAND_STATE_DIR: join(dir, "state"),
      WITHSTAND_STORE: join(dir, "runs.db"),
    };
    const out = execFileSync(process.execPath, ["main.js"], { cwd: dir, encoding: "utf8", env });
    const lines = out.trim().split("\n");
    assert.equal(lines[0], "run-started");
    assert.ok(lines.includes("run-finished"), out);
    const [runId, outcome, status, exitCode] = (lines.at(-1) ?? "").split(" ");
    assert.deepEqual([outcome, status, exitCode], ["held", "completed", "0"]);

    // The same store the CLI reads: `withstand runs` lists the library's run with the CLI's own.
    const cli = await runCli(["run", "freeze.yaml"], { cwd: dir, env });
    assert.equal(cli.code, 0, cli.stderr);
    const listed = await runCli(["runs", "--json"], { cwd: dir, env });
    const runs = (
      JSON.parse(listed.stdout) as { runs: { id: string; kind: string; status: string; outcome: string }[] }
    ).runs;
    assert.equal(runs.length, 2);
    const mine = runs.find((r) => r.id === runId);
    assert.deepEqual(mine && { kind: mine.kind, status: mine.status, outcome: mine.outcome }, {
      kind: "experiment",
      status: "completed",
      outcome: "held",
    });
    const theirs = runs.find((r) => r.id !== runId);
    assert.deepEqual(theirs && { kind: theirs.kind, status: theirs.status, outcome: theirs.outcome }, {
      kind: "experiment",
      status: "completed",
      outcome: "held",
    });
    // `runs --kind` takes the kinds of the registry.
    const experiments = await runCli(["runs", "--json", "--kind", "experiment"], { cwd: dir, env });
    assert.equal((JSON.parse(experiments.stdout) as { runs: unknown[] }).runs.length, 2);
    const loads = await runCli(["runs", "--json", "--kind", "load"], { cwd: dir, env });
    assert.equal((JSON.parse(loads.stdout) as { runs: unknown[] }).runs.length, 0);
    const bad = await runCli(["runs", "--kind", "nope"], { cwd: dir, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--kind nope: expected one of experiment, load, rollout, synthetic, inject/);
    const shown = await runCli(["runs", "show", runId ?? "?"], { cwd: dir, env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /from-the-readme|noop/);
  });
});
