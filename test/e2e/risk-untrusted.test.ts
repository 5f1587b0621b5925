import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

it("risk --format md shows a risk's name as text (no raw HTML, its row keeps its columns); text shows it as written", async () => {
  const { dir, env } = isolatedEnv();
  const file = join(dir, "r.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: RiskCatalog
metadata: {name: "cat <script>alert(1)</script>"}
spec:
  risks:
    - {name: "<img src=x onerror=alert(1)> | db", ttd: 1m, ttr: 2m, impact: 5%, tbf: 30d}
`,
  );
  const md = await runCli(["risk", file, "--format", "md"], { env });
  assert.equal(md.code, 0, md.stderr);
  assert.doesNotMatch(md.stdout, /<script|<img/, md.stdout);
  const row = md.stdout.split("\n").find((l) => l.startsWith("| 1 |")) ?? "";
  assert.match(row, /^\| 1 \| &lt;img src=x onerror=alert\(1\)&gt; \\\| db \|/, row);
  const text = await runCli(["risk", file, "--format", "text"], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^1 +<img src=x onerror=alert\(1\)> \| db /m, text.stdout);
});
