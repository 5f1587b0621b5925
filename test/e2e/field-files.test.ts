import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

// Files shaped like the ones a new user brought from the field, read by the real CLI.
const { dir, env } = isolatedEnv();

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("a templated Gossfile whose raw text is not YAML (Goss's docs/goss.yaml)", () => {
  // `{{- range ...}}` at column 0 inside the file: mapping, as Goss's own sample has it.
  const gossfile = write(
    "goss.yaml",
    `file:
  ${dir}:
    exists: true
    filetype: directory
{{- range mkSlice "goss.yaml" "vars.yaml"}}
  ${dir}/{{.}}:
    exists: true
    filetype: file
{{end}}

command:
  greeting:
    exec: "echo {{ .Vars.greeting }}"
    exit-status: 0
    stdout:
      - "{{ .Vars.greeting }}"
`,
  );
  const vars = write("vars.yaml", "greeting: hello-from-vars\n");

  it("validate --vars renders it as check does, and both agree", async () => {
    const validate = await runCli(["validate", "--vars", vars, gossfile], { env });
    assert.equal(validate.stderr, "");
    assert.equal(validate.stdout, `${gossfile}: valid Gossfile (4 entries: file, command)\n`);
    assert.equal(validate.code, 0);
    const check = await runCli(["check", "-g", gossfile, "--vars", vars], { env });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /Count: 8, Failed: 0/);
  });

  it("without the vars it names the missing variable, as check does, not YAML syntax errors", async () => {
    const validate = await runCli(["validate", gossfile], { env });
    assert.equal(validate.code, 2);
    assert.doesNotMatch(validate.stderr, /syntax error/);
    assert.match(validate.stderr, /goss\.yaml:13:1: .*map has no entry for key "greeting"/);
  });
});

describe("sqlite: store URLs", () => {
  it("WITHSTAND_STORE=sqlite:/abs and --store sqlite:///abs open that file, never ./sqlite:...", async () => {
    const cwd = join(dir, "cwd");
    mkdirSync(cwd);
    const viaEnv = join(dir, "env.db");
    const r1 = await runCli(["runs"], { env: { ...env, WITHSTAND_STORE: `sqlite:${viaEnv}` }, cwd });
    assert.equal(r1.code, 0, r1.stderr);
    const viaFlag = join(dir, "flag.db");
    const r2 = await runCli(["runs", "--store", `sqlite://${viaFlag}`], { env, cwd });
    assert.equal(r2.code, 0, r2.stderr);
    const r3 = await runCli(["runs", "--store", "sqlite:rel.db"], { env, cwd });
    assert.equal(r3.code, 0, r3.stderr);
    assert.ok(existsSync(viaEnv));
    assert.ok(existsSync(viaFlag));
    assert.deepEqual(
      readdirSync(cwd).filter((f) => !f.endsWith("-wal") && !f.endsWith("-shm")),
      ["rel.db"],
    );
  });

  it("a sqlite URL naming another host is refused with exit 2", async () => {
    const r = await runCli(["runs", "--store", "sqlite://db.example/runs.db"], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a SQLite store is a file on this machine/);
  });
});
