import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from the compiled test's location (dist/test/...). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = join(ROOT, "bin", "withstand");
/**
 * Whether the user nobody can run this checkout's CLI: not when the checkout sits in a private
 * directory (a clone in `mktemp -d`), where tests that run it as another user cannot.
 */
export const nobodyCanRunBin = (): boolean =>
  process.getuid?.() === 0 && spawnSync("runuser", ["-u", "nobody", "--", "test", "-x", BIN]).status === 0;
export const fixture = (...parts: string[]) => join(ROOT, "test", "fixtures", ...parts);

/** A private store and safety-state directory, so tests never see each other's runs or faults. */
export function isolatedEnv(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), "withstand-test-"));
  return {
    dir,
    env: {
      ...process.env,
      WITHSTAND_STORE: join(dir, "store.db"),
      WITHSTAND_STATE_DIR: join(dir, "state"),
      CI: "true",
    },
  };
}
