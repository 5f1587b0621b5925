/**
 * Bad input is refused in time that grows linearly with its size, and each syntax error is said once
 * (#25 items 14 and 17). No absolute timing is asserted: the CPU time for 1 MB of unclosed `[` is
 * compared with that for a tenth of it, which a linear reader keeps within a small factor (it was ~100x).
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { sniffTop } from "../../src/checks/gossfile.js";
import { parseSource } from "../../src/documents/source.js";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

/** CPU microseconds `fn` takes, the least of three tries (the machine may be busy). */
function cpu(fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

it("tells what kind a file of unclosed [ is in time linear in its size", () => {
  const small = "[".repeat(30_000);
  const big = "[".repeat(300_000);
  assert.equal(sniffTop(big), undefined);
  const a = cpu(() => sniffTop(small));
  const b = cpu(() => sniffTop(big));
  // Linear work is 10x at most; a floor of 2 ms keeps microsecond noise from deciding.
  assert.ok(b <= 30 * Math.max(a, 2000), `300 KB took ${b} us, 30 KB ${a} us`);
});

it("reads a file full of syntax errors in time linear in its size, and shows a bounded number of them", () => {
  const small = "[]".repeat(10_000);
  const big = "[]".repeat(100_000);
  const a = cpu(() => parseSource("small.yaml", small));
  let shown = 0;
  const b = cpu(() => {
    shown = parseSource("big.yaml", big).diagnostics.length;
  });
  assert.ok(b <= 30 * Math.max(a, 2000), `200 KB took ${b} us, 20 KB ${a} us`);
  assert.ok(shown <= 51, `${shown} diagnostics`);
});

it("says each syntax error once", () => {
  const { diagnostics } = parseSource("f.yaml", "[[[a,a,a,");
  const lines = diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
  assert.ok(lines.length > 0);
  assert.deepEqual(lines, [...new Set(lines)]);
});

it("withstand validate refuses 1 MB of unclosed [ at its position, and says each error once", async () => {
  const { dir, env } = isolatedEnv();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(`${dir}/deep.yaml`, "[".repeat(1_000_000));
  writeFileSync(`${dir}/unclosed.yaml`, "[[[a,a,a,");
  const deep = await runCli(["validate", `${dir}/deep.yaml`], { env });
  assert.equal(deep.code, 2);
  assert.match(deep.stderr, /deep\.yaml:1:65: nests deeper than 64 levels/);
  const unclosed = await runCli(["validate", `${dir}/unclosed.yaml`], { env });
  assert.equal(unclosed.code, 2);
  const lines = unclosed.stderr.trim().split("\n");
  assert.deepEqual(lines, [...new Set(lines)], unclosed.stderr);
});

it("stops reading a garbled file at the 51st syntax error, so 1 MB costs little more than its linear pre-checks", () => {
  // Each of a million syntax errors used to be composed and then dropped: 1 MB of `[]` took 12-40 s,
  // a hundred times what 10 KB takes. Now only the linear pre-checks (depth, line starts) grow with it:
  // a few ms, within a 5 ms floor times ten even on a busy machine (the old reader took seconds).
  for (const unit of ["[]", "]", "{}", "[]\n"]) {
    const small = unit.repeat(Math.ceil(10_000 / unit.length));
    const big = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const a = cpu(() => parseSource("small.yaml", small));
    const b = cpu(() => parseSource("big.yaml", big));
    const { diagnostics } = parseSource("big.yaml", big);
    assert.match(diagnostics.at(-1)?.message ?? "", /stopped reading after 50 syntax errors/);
    assert.ok(b <= 10 * Math.max(a, 5000), `${JSON.stringify(unit)}: 1 MB took ${b} us, 10 KB ${a} us`);
    assert.equal(sniffTop(big), undefined);
    const c = cpu(() => sniffTop(big));
    assert.ok(
      c <=
        10 *
          Math.max(
            cpu(() => sniffTop(small)),
            5000,
          ),
      `sniffing 1 MB of ${JSON.stringify(unit)}: ${c} us`,
    );
  }
});
