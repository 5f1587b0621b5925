import { applyRules, deepEqual, type Json, show, typeName } from "./matchers.js";
import { formatPath } from "./path.js";
import { bodyCategory, type RuleCategory, type RuleList } from "./rules.js";

/** One difference between what a consumer expects and what the provider answered. */
export interface Mismatch {
  /** `body`, `header`, `status`, `query`. */
  type: string;
  /** `$.items[0].id`, a header name, or empty. */
  path: string;
  expected: unknown;
  actual: unknown;
  mismatch: string;
}

/**
 * Compares a JSON body as Pact does for a response (pact_matching's json.rs): an object may hold keys
 * the consumer did not ask for; arrays must have the expected length unless a matcher (type, min, max,
 * eachValue) says otherwise, and then every actual item is compared with the expected one at its index
 * or the first; leaves are compared by the heaviest matching rule, or for equality.
 */
export class JsonComparison {
  readonly mismatches: Mismatch[] = [];

  constructor(
    private readonly rules: RuleCategory,
    /** Requests forbid keys the consumer did not send; responses allow them. */
    private readonly allowUnexpectedKeys = true,
  ) {}

  private add(path: readonly string[], expected: unknown, actual: unknown, mismatch: string): void {
    this.mismatches.push({ type: "body", path: formatPath(path), expected, actual, mismatch });
  }

  private rulesAt(path: readonly string[]): RuleList | undefined {
    return this.rules.resolve(path);
  }

  compare(path: string[], expected: Json, actual: Json | undefined): void {
    if (actual === undefined) {
      this.add(path, expected, undefined, `Expected ${show(expected)} but was missing`);
      return;
    }
    const rules = this.rulesAt(path);
    if (rules) {
      const failed = applyRules(rules, expected, actual);
      for (const f of failed) this.add(path, expected, actual, f);
      if (failed.length > 0) return;
      if (Array.isArray(actual) && Array.isArray(expected)) this.listWithRules(path, rules, expected, actual);
      else if (isMap(actual) && isMap(expected)) this.mapWithRules(path, rules, expected, actual);
      return;
    }
    if (isMap(expected)) {
      if (isMap(actual)) this.map(path, expected, actual);
      else
        this.add(
          path,
          expected,
          actual,
          `Type mismatch: Expected ${typeName(expected)} ${show(expected)} but received ${typeName(actual)} ${show(actual)}`,
        );
    } else if (Array.isArray(expected)) {
      if (Array.isArray(actual)) this.list(path, expected, actual);
      else
        this.add(
          path,
          expected,
          actual,
          `Type mismatch: Expected ${typeName(expected)} ${show(expected)} but received ${typeName(actual)} ${show(actual)}`,
        );
    } else if (!deepEqual(expected, actual)) {
      this.add(
        path,
        expected,
        actual,
        `Expected ${show(expected)} (${typeName(expected)}) but received ${show(actual)} (${typeName(actual)})`,
      );
    }
  }

  private map(path: string[], expected: Record<string, Json>, actual: Record<string, Json>): void {
    const missing = Object.keys(expected).filter((k) => !(k in actual));
    if (missing.length > 0)
      this.add(path, expected, actual, `Actual map is missing the following keys: ${missing.join(", ")}`);
    if (!this.allowUnexpectedKeys) {
      const extra = Object.keys(actual).filter((k) => !(k in expected));
      if (extra.length > 0) this.add(path, expected, actual, `Unexpected keys: ${extra.join(", ")}`);
    }
    for (const [k, v] of Object.entries(expected)) if (k in actual) this.compare([...path, k], v, actual[k]);
  }

  private mapWithRules(
    path: string[],
    rules: RuleList,
    expected: Record<string, Json>,
    actual: Record<string, Json>,
  ): void {
    const kinds = new Set(rules.matchers.map((m) => m.match));
    const eachKey = rules.matchers.find((m) => m.match === "eachKey");
    if (eachKey) {
      const keyRules = ruleListOf(eachKey.rules);
      for (const k of Object.keys(actual))
        for (const f of applyRules(keyRules, undefined, k)) this.add([...path, k], undefined, k, `Key ${f}`);
    }
    const eachValue = rules.matchers.find((m) => m.match === "eachValue");
    if (kinds.has("values") || eachValue) {
      const template = (eachValue?.value as Json | undefined) ?? Object.values(expected)[0];
      const valueRules = eachValue ? ruleListOf(eachValue.rules) : undefined;
      for (const [k, v] of Object.entries(actual)) {
        if (valueRules)
          for (const f of applyRules(valueRules, template, v)) this.add([...path, k], template, v, f);
        else if (template !== undefined) this.compare([...path, k], template, v);
      }
      return;
    }
    if (eachKey) {
      for (const [k, v] of Object.entries(expected))
        if (k in actual) this.compare([...path, k], v, actual[k]);
      return;
    }
    this.map(path, expected, actual);
  }

  private list(path: string[], expected: Json[], actual: Json[]): void {
    if (expected.length === 0 && actual.length > 0) {
      this.add(path, expected, actual, `Expected an empty List but received ${show(actual)}`);
      return;
    }
    expected.forEach((e, i) => {
      const p = [...path, String(i)];
      if (i < actual.length) this.compare(p, e, actual[i]);
      else if (!this.rulesAt(p)) this.add(p, e, undefined, `Expected ${show(e)} but was missing`);
    });
    if (expected.length !== actual.length)
      this.add(
        path,
        expected,
        actual,
        `Expected a List with ${expected.length} elements but received ${actual.length} elements`,
      );
  }

  private listWithRules(path: string[], rules: RuleList, expected: Json[], actual: Json[]): void {
    const contains = rules.matchers.find((m) => m.match === "arrayContains");
    if (contains) {
      this.arrayContains(path, contains.variants, expected, actual);
      return;
    }
    const eachValue = rules.matchers.find((m) => m.match === "eachValue");
    if (eachValue) {
      const valueRules = ruleListOf(eachValue.rules);
      const template = (eachValue.value as Json[] | undefined)?.[0] ?? expected[0];
      actual.forEach((a, i) => {
        for (const f of applyRules(valueRules, template, a)) this.add([...path, String(i)], template, a, f);
      });
      return;
    }
    if (expected.length === 0) return;
    actual.forEach((a, i) => {
      this.compare([...path, String(i)], (expected[i] ?? expected[0]) as Json, a);
    });
  }

  /** v4 `arrayContains`: each variant (an expected item with its own rules) must match some actual item. */
  private arrayContains(path: string[], variants: unknown, items: Json[], actual: Json[]): void {
    const list = Array.isArray(variants) ? variants : [];
    for (const v of list as { index?: number; rules?: unknown }[]) {
      const expected = items[v.index ?? 0];
      const rules = bodyCategory(v.rules, `arrayContains variant ${v.index ?? 0}`);
      const found = actual.some((a) => {
        const sub = new JsonComparison(rules, true);
        if (expected !== undefined) sub.compare(["$"], expected, a);
        return sub.mismatches.length === 0;
      });
      if (!found)
        this.add(
          path,
          expected,
          actual,
          `Variant at index ${v.index ?? 0} (${show(expected)}) was not found in the actual list`,
        );
    }
  }
}

function isMap(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** eachKey/eachValue carry `rules: [matcher...]`. */
function ruleListOf(raw: unknown): RuleList {
  const matchers = Array.isArray(raw) ? raw.filter(isMap) : [];
  return { matchers: matchers as RuleList["matchers"], combine: "AND" };
}
