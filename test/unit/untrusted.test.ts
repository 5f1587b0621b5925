import assert from "node:assert/strict";
import { it } from "node:test";
import { mdText, mdUnescape, visibleControls } from "../../src/core/untrusted.js";

it("visibleControls shows every C0/C1 control and bidi override as an escape, one line", () => {
  assert.equal(
    visibleControls("\u001b[31mRED\u001b]0;t\u0007\r\n\t\u0085\u202eX"),
    "\\e[31mRED\\e]0;t\\x07\\r\\n\\t\\x85\\u202eX",
  );
  assert.equal(visibleControls("plain text · ü"), "plain text · ü");
});

it("mdText escapes HTML and table pipes, keeps one line, and mdUnescape gives the text back", () => {
  const raw = `<img src=x onerror="a&b"> | \\| &lt;\nnext`;
  const md = mdText(raw);
  assert.doesNotMatch(md, /[<>\n]/);
  assert.equal(md, `&lt;img src=x onerror="a&amp;b"&gt; \\| \\\\| &amp;lt; next`);
  assert.equal(mdUnescape(md), raw.replace("\n", " "));
});
