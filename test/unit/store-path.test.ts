import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { defaultStorePath } from "../../src/store/sqlite.js";

it("one store per user by default (XDG), a project's ./.withstand only when it exists", () => {
  const home = mkdtempSync(join(tmpdir(), "withstand-home-"));
  const project = mkdtempSync(join(tmpdir(), "withstand-project-"));
  assert.equal(
    defaultStorePath(project, { HOME: home }),
    join(home, ".local", "share", "withstand", "withstand.db"),
  );
  assert.equal(
    defaultStorePath(project, { HOME: home, XDG_DATA_HOME: join(home, "data") }),
    join(home, "data", "withstand", "withstand.db"),
  );
  mkdirSync(join(project, ".withstand"));
  assert.equal(defaultStorePath(project, { HOME: home }), join(project, ".withstand", "withstand.db"));
});
