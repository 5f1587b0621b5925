import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { ROOT } from "../helpers/paths.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  bin: Record<string, string>;
  engines: { node: string };
};
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

it("is published under a name we own, installing the withstand command, and the README says so", () => {
  // `withstand` on the npm registry is an unrelated package.
  assert.equal(pkg.name, "@withstand/cli");
  assert.deepEqual(Object.keys(pkg.bin), ["withstand"]);
  assert.match(readme, /npm install -g @withstand\/cli/);
  const example = /```ts\n(import [^\n]+ from "([^"]+)";[\s\S]*?)```/.exec(readme);
  assert.equal(example?.[2], pkg.name, "the library example imports the package by its name");
  assert.doesNotMatch(readme, /npm install withstand\b/);
});

it("declares the Node.js lines it is tested on, including the one running now", () => {
  const major = process.versions.node.split(".")[0];
  assert.match(pkg.engines.node, new RegExp(`\\^${major}\\.`));
});
