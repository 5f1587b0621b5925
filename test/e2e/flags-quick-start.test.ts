/**
 * The README's flags quick-start, run as a new user pastes it into a shell: the token exported once is
 * read by `flags serve` and by `flags set` (NAME=TOKEN on both ends), the server comes up in the
 * background, and the kill switch and the weights change, audited under the token's name. Only the port
 * differs from the README's (a free one instead of 8016, so tests never collide), and the shell finds
 * `withstand` as the installed binary.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { freePort } from "../../src/proxy/listen.js";
import { track } from "../helpers/children.js";
import { finished } from "../helpers/cli.js";
import { FLAGS } from "../helpers/flags.js";
import { BIN, isolatedEnv, ROOT } from "../helpers/paths.js";

function quickStart(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = /<!-- flags-quick-start[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(m?.[1], "the README has the flags quick-start under its marker");
  return m[1];
}

it("the README's flags quick-start runs as written: serve, evaluate, kill switch, weights, audit log", async () => {
  const { dir, env } = isolatedEnv();
  writeFileSync(join(dir, "flags.json"), JSON.stringify(FLAGS, null, 2));
  const port = await freePort();
  const block = quickStart();
  assert.match(block, /8016/);
  const script = [
    "set -euo pipefail",
    // Whatever happens, the background server ends with the shell.
    "trap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT",
    "trap 'exit 143' TERM INT",
    block.replaceAll("8016", String(port)),
  ].join("\n");
  const { WITHSTAND_FLAGS_TOKEN: _, WITHSTAND_FLAGS_SERVER: __, ...clean } = env;
  const child = track(
    spawn("bash", ["-c", script], {
      cwd: dir,
      env: {
        ...clean,
        PATH: `${dirname(BIN)}:${env.PATH ?? ""}`,
        // `flags set`'s default server, moved to the same free port.
        WITHSTAND_FLAGS_SERVER: `http://127.0.0.1:${port}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    }),
  );
  try {
    const r = await finished(child);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /flags\.json: valid flagd flag definitions/);
    assert.match(r.stdout, /"key":"new-pricing","value":(true|false),"reason":"TARGETING_MATCH"/);
    assert.match(r.stdout, /recommendations: ENABLED variant on -> ENABLED variant off \(by ops\)/);
    assert.match(
      r.stdout,
      /new-pricing: ENABLED variant off weights on=20,off=80 -> ENABLED variant off weights on=50,off=50 \(by ops\)/,
    );
    assert.match(
      r.stdout,
      /recommendations {2}ops {2}ENABLED variant on -> ENABLED variant off {2}\(INC-42: recommendations overload\)/,
    );
  } finally {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
  }
});
