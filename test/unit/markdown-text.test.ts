/** `--format text` of a Markdown report: pipe tables become padded columns a terminal lines up. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { markdownAsText } from "../../src/cli/output.js";

it("turns pipe tables into aligned columns and drops Markdown marks", () => {
  const md =
    "# Risk catalogue: x\n\n| rank | risk |\n|---|---|\n| 1 | bad-deploy ⚠ |\n| 10 | a |\n\n- **a** cites runs\n";
  assert.equal(
    markdownAsText(md),
    "Risk catalogue: x\n\nrank  risk\n1     bad-deploy ⚠\n10    a\n\n- a cites runs\n",
  );
});

it("leaves text without tables as written", () => {
  assert.equal(markdownAsText("a | b\nno table\n"), "a | b\nno table\n");
});
