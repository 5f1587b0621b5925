import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  compileAttribute,
  compileMatcher,
  MatcherSyntaxError,
  matchPatterns,
  Stream,
} from "../../src/core/goss-matchers.js";
import { satisfiesSemver } from "../../src/core/semver.js";

const ok = (spec: unknown, actual: unknown) => compileMatcher(spec)(actual).ok;
const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);

describe("Goss matchers", () => {
  it("compare scalars after Goss's transforms: a string to the value's text, a number to the number", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), (n) => {
        assert.ok(ok(String(n), n), "string expectation, numeric value");
        assert.ok(ok(n, String(n)), "numeric expectation, string value");
        assert.ok(ok(n, ` ${n}\n`), "to-numeric trims");
        assert.ok(!ok(n + 1, String(n)));
      }),
    );
    assert.ok(ok(true, true));
    assert.ok(!ok(true, "true"), "a boolean is compared strictly");
    assert.ok(!ok(3, "3abc"), "a number that is not all digits is no number");
  });

  it("reads a list as contain-elements: every expected element is among the actual ones", () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 8 }), word, (all, extra) => {
        const subset = all.filter((_, i) => i % 2 === 0);
        assert.ok(ok(subset, all));
        // Each expected element needs an element of its own, as in gomega: a repeat needs a second copy.
        assert.equal(ok([...subset, extra], all), all.includes(extra) && !subset.includes(extra));
      }),
    );
  });

  it("consist-of holds exactly for a permutation of the same elements", () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 7 }), fc.integer(), (items, seed) => {
        const shuffled = [...items].sort(
          (a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7),
        );
        assert.ok(ok({ "consist-of": shuffled }, items));
        assert.ok(!ok({ "consist-of": [...shuffled, "zzz-extra"] }, items));
      }),
    );
    assert.ok(!ok({ "consist-of": ["a", "a"] }, ["a", "b"]), "one element per matcher");
  });

  it("not, and, or compose as logic does", () => {
    const specs = [{ gt: 5 }, { lt: 10 }, { "have-prefix": "1" }, "7", { "contain-substring": "0" }];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        (n, i, j) => {
          const a = specs[i];
          const b = specs[j];
          assert.equal(ok({ not: a }, n), !ok(a, n));
          assert.equal(ok({ and: [a, b] }, n), ok(a, n) && ok(b, n));
          assert.equal(ok({ or: [a, b] }, n), ok(a, n) || ok(b, n));
        },
      ),
    );
  });

  it("compares numerically with gt, ge, lt, le, converting text", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (x, y) => {
        assert.equal(ok({ gt: y }, String(x)), x > y);
        assert.equal(ok({ ge: y }, x), x >= y);
        assert.equal(ok({ lt: y }, x), x < y);
        assert.equal(ok({ le: y }, `${x}\n`), x <= y);
      }),
    );
  });

  it("string matchers convert the value to text first", () => {
    assert.ok(ok({ "have-prefix": "ab" }, "abc"));
    assert.ok(ok({ "have-suffix": "23" }, 123));
    assert.ok(ok({ "match-regexp": "^[0-9]+$" }, 42));
    assert.ok(ok({ "match-regexp": "(?i)^ROOT" }, "root:x:0"), "Go's (?i) flag");
    assert.ok(ok({ "contain-substring": "ell" }, "hello"));
    assert.ok(ok({ "have-len": 3 }, ["a", "b", "c"]));
    assert.ok(ok({ "have-len": 5 }, "hello"));
    assert.ok(ok({ "have-key": "foo" }, { foo: 1 }));
    assert.ok(ok({ "have-key": { "have-prefix": "f" } }, { foo: 1 }));
    assert.ok(ok({ "have-key-with-value": { foo: "bar" } }, { foo: "bar", baz: 1 }));
    assert.ok(!ok({ "have-key-with-value": { foo: "baz" } }, { foo: "bar" }));
    assert.ok(ok({ "contain-element": { "have-prefix": "172.17" } }, ["10.0.0.1", "172.17.0.2"]));
    assert.ok(ok({ "contain-element": 2 }, [1, 2]));
    assert.ok(ok({ "contain-elements": ["a", "c"] }, "a\nb\nc"), "contain-elements splits text into lines");
    assert.ok(ok({ equal: [1, 2] }, [1, 2]));
    assert.ok(!ok({ equal: "1" }, 1), "equal compares types strictly");
    assert.ok(ok({ gjson: { "a.b": 3, "list.#": 2, "list.1": "y" } }, '{"a":{"b":3},"list":["x","y"]}'));
    assert.ok(!ok({ gjson: { "a.c": 3 } }, '{"a":{"b":3}}'));
  });

  it("semver-constraint reads blang/semver ranges, for one version or every version of a list", () => {
    assert.ok(satisfiesSemver("1.2.3", ">1.0.0 <2.0.0 !=1.5.0"));
    assert.ok(!satisfiesSemver("1.5.0", ">1.0.0 <2.0.0 !=1.5.0"));
    assert.ok(satisfiesSemver("3.0.0", "<1.0.0 || >=2.0.0"));
    assert.ok(satisfiesSemver("v1.4", "1.x"));
    assert.ok(!satisfiesSemver("2.0.0-rc1", ">=2.0.0"), "a pre-release is below its release");
    assert.ok(ok({ "semver-constraint": ">=1.0.0" }, ["1.0.0", "2.1.0"]));
    assert.ok(!ok({ "semver-constraint": ">=1.0.0" }, ["1.0.0", "0.9.0"]));
    fc.assert(
      fc.property(fc.nat(20), fc.nat(20), fc.nat(20), fc.nat(20), (a, b, c, d) => {
        const v = `${a}.${b}.${c}`;
        const w = `${a}.${b}.${d}`;
        assert.equal(satisfiesSemver(v, `>=${w}`), c >= d);
        assert.equal(satisfiesSemver(v, `<${w}`), c < d);
      }),
    );
  });

  it("refuses malformed matchers with Goss's reasons", () => {
    const refused: [unknown, RegExp][] = [
      [{ gtt: 1 }, /unknown matcher: gtt/],
      [{ gt: 1, lt: 3 }, /only one matcher/],
      [{}, /empty map asserts nothing/],
      [{ "have-prefix": 3 }, /expected string value/],
      [{ and: [] }, /empty list asserts nothing/],
      [{ "match-regexp": "(" }, /invalid regular expression/],
      [{ "semver-constraint": ">>1" }, /semver-constraint/],
      [null, /missing required attribute/],
    ];
    for (const [spec, message] of refused)
      assert.throws(
        () => compileMatcher(spec),
        (e: Error) => e instanceof MatcherSyntaxError && message.test(e.message),
      );
  });
});

describe("Goss line patterns", () => {
  it("finds a plain pattern as a substring of some line, and never a !pattern", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z][a-z ]{0,11}$/), { minLength: 1, maxLength: 6 }),
        fc.nat(5),
        (lines, pick) => {
          const text = lines.join("\n");
          const line = lines[pick % lines.length] ?? "";
          const needle = line.slice(0, 3);
          assert.ok(matchPatterns(text, [needle]).ok);
          assert.equal(
            matchPatterns(text, [`!${needle}`]).ok,
            needle === "" ? true : !lines.some((l) => l.includes(needle)),
          );
        },
      ),
    );
  });

  it("reads /re/ and !/re/ as regular expressions, and \\! as a literal", () => {
    const text = "root:x:0:0\ndaemon:x:1:1\n";
    assert.ok(matchPatterns(text, ["/^root:/", "!/^nobody/", "daemon", "!alice"]).ok);
    const r = matchPatterns(text, ["/^daemon:x:2/", "!root"]);
    assert.deepEqual(r.missing, ["/^daemon:x:2/", "!root"]);
    assert.ok(matchPatterns("a !bang\n", ["\\!bang"]).ok, "a leading \\ escapes the !");
    assert.ok(matchPatterns("", [""]).ok, "an empty pattern matches even empty output");
  });

  it("on an output stream a list is patterns and a string is the whole output", () => {
    assert.ok(compileAttribute(["hi"], true)(new Stream("hi\n")).ok);
    assert.ok(compileAttribute([], true)(new Stream("anything")).ok, "[] asserts nothing");
    assert.ok(compileAttribute("", true)(new Stream("")).ok, '"" asserts empty output');
    assert.ok(!compileAttribute("", true)(new Stream("x")).ok);
    assert.ok(compileAttribute("hi\n", true)(new Stream("hi\n")).ok);
    assert.ok(compileAttribute({ lt: 5 }, true)(new Stream("3\n")).ok);
  });

  it("read regular expressions as Go's RE2 does, and refuse what RE2 refuses, naming the pattern", () => {
    assert.ok(ok({ "match-regexp": "^[[:alpha:]]+$" }, "abc"), "POSIX class");
    assert.ok(!ok({ "match-regexp": "^[[:alpha:]]+$" }, "ab1"));
    assert.ok(ok({ "match-regexp": "^\\Qa.b\\E$" }, "a.b"), "\\Q..\\E quotes");
    assert.ok(!ok({ "match-regexp": "^\\Qa.b\\E$" }, "axb"));
    assert.ok(ok({ "match-regexp": "a(?i)BC" }, "abc"), "a flag group mid-pattern");
    assert.ok(ok({ "match-regexp": "^\\pL+\\z" }, "été"), "\\pL and \\z");
    assert.ok(ok({ "match-regexp": "(?s)a.b" }, "a\nb"));
    assert.ok(matchPatterns("x\n123\n", ["/^[[:digit:]]{3}$/"]).ok, "a line pattern");
    for (const re of ["(?=a)", "(a)\\1", "a++"])
      assert.throws(
        () => compileMatcher({ "match-regexp": re }),
        (e: Error) => e instanceof MatcherSyntaxError && e.message.includes(`/${re}/`),
        re,
      );
  });

  it("word failures as Goss's golden outputs do: elements matching, missing and extra elements", () => {
    const c = compileMatcher({ "consist-of": ["fox", { "have-prefix": "t" }, "box"] })(["foo", "bar", "moo"]);
    assert.equal(
      c.message,
      'Expected\n    ["foo","bar","moo"]\nto consist of\n    ["fox",{"have-prefix":"t"},"box"]\nthe missing elements were\n    ["fox",{"have-prefix":"t"},"box"]\nthe extra elements were\n    ["foo","bar","moo"]',
    );
    const e = compileMatcher(["group1", "group4"])(["group1", "group2"]);
    assert.match(e.message, /\nto contain elements matching\n/);
    const reader = compileMatcher({ not: ["foo"] })(new Stream("foo bar\nmoo cow\n"));
    assert.equal(reader.ok, false);
    assert.match(
      reader.error ?? "",
      /^ContainElements matcher expects an array\/slice\/map\. {2}Got:\n {4}<string>: foo bar\n {4}moo cow$/,
    );
  });
});
