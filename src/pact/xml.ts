import { DOMParser, type Element } from "@xmldom/xmldom";
import type { Mismatch } from "../core/pact/json.js";
import { applyRules } from "../core/pact/matchers.js";
import type { RuleCategory } from "../core/pact/rules.js";

const XMLNS = "http://www.w3.org/2000/xmlns/";

/** `urn:ns:local` for a namespaced name, as Pact names elements and attributes. */
function qname(n: { namespaceURI: string | null; localName: string | null; nodeName: string }): string {
  const local = n.localName ?? n.nodeName;
  return n.namespaceURI ? `${n.namespaceURI}:${local}` : local;
}

function childElements(e: Element): Element[] {
  const out: Element[] = [];
  for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

function textOf(e: Element): string {
  let s = "";
  for (let c = e.firstChild; c; c = c.nextSibling)
    if (c.nodeType === 3 || c.nodeType === 4) s += (c.nodeValue ?? "").trim();
  return s;
}

function attributesOf(e: Element): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < e.attributes.length; i++) {
    const a = e.attributes.item(i);
    if (!a || a.namespaceURI === XMLNS || a.nodeName === "xmlns" || a.nodeName.startsWith("xmlns:")) continue;
    out.set(qname(a), a.value);
  }
  return out;
}

function pathText(path: readonly string[]): string {
  return path.map((p, i) => (i === 0 ? p : `.${p}`)).join("");
}

function parse(text: string): Element {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, msg) => {
      if (level !== "warning") errors.push(msg);
    },
  }).parseFromString(text, "text/xml");
  const root = doc.documentElement;
  if (errors.length > 0 || !root) throw new Error(errors[0] ?? "no root element");
  return root;
}

/**
 * Compares XML bodies as Pact does (pact_matching's xml.rs): elements by namespace and local name,
 * expected attributes present with equal values (or by rule at `@name`), children grouped by name and
 * compared in order (or each against the first under a type matcher), text at `#text`; a response may
 * hold attributes and children the consumer did not ask for.
 */
export function compareXml(expectedText: string, actualText: string, rules: RuleCategory): Mismatch[] {
  const out: Mismatch[] = [];
  // A body that does not parse is one mismatch naming which side it was.
  const unparsed = (side: string, err: unknown): Mismatch[] => [
    {
      type: "body",
      path: "$",
      expected: expectedText,
      actual: actualText,
      mismatch: `Failed to parse the ${side} body: '${(err as Error).message}'`,
    },
  ];
  let expected: Element;
  let actual: Element;
  try {
    expected = parse(expectedText);
  } catch (err) {
    return unparsed("expected", err);
  }
  try {
    actual = parse(actualText);
  } catch (err) {
    return unparsed("actual", err);
  }
  const add = (path: readonly string[], e: unknown, a: unknown, mismatch: string) =>
    out.push({ type: "body", path: pathText(path), expected: e, actual: a, mismatch });

  const element = (path: string[], e: Element, a: Element): void => {
    const r = rules.best(path);
    if (r) {
      const failed = r.matchers.flatMap((m) => {
        if (m.match === "type" || m.match === "min" || m.match === "max") {
          if (qname(e) !== qname(a)) return [`Expected '${qname(a)}' to be the same type as '${qname(e)}'`];
          const exact = rules.exact(path) === r;
          const n = childElements(a).length;
          if (exact && typeof m.min === "number" && n < m.min)
            return [`Expected '${qname(a)}' to have at least ${m.min} children`];
          if (exact && typeof m.max === "number" && n > m.max)
            return [`Expected '${qname(a)}' to have at most ${m.max} children`];
          return [];
        }
        if (m.match === "regex")
          return applyRules({ matchers: [m], combine: "AND" }, qname(e), a.localName ?? a.nodeName);
        return qname(e) === qname(a) ? [] : [`Expected '${qname(a)}' to be equal to '${qname(e)}'`];
      });
      if (failed.length > 0) {
        for (const f of failed) add(path, qname(e), qname(a), f);
        return;
      }
    } else if (qname(e) !== qname(a)) {
      add(path, qname(e), qname(a), `Expected '${qname(a)}' to be equal to '${qname(e)}'`);
      return;
    }
    attributes(path, e, a);
    children(path, e, a);
    text(path, e, a);
  };

  const value = (path: string[], e: string, a: string): void => {
    const r = rules.resolve(path);
    const failed = r ? applyRules(r, e, a) : e === a ? [] : [`Expected '${a}' to be equal to '${e}'`];
    for (const f of failed) add(path, e, a, f);
  };

  const attributes = (path: string[], e: Element, a: Element): void => {
    const want = attributesOf(e);
    const got = attributesOf(a);
    if (want.size > got.size)
      add(
        path,
        [...want],
        [...got],
        `Expected at least ${want.size} attribute(s) but received ${got.size} attribute(s)`,
      );
    for (const [k, v] of want) {
      const p = [...path, `@${k}`];
      const g = got.get(k);
      if (g === undefined) add(p, k, undefined, `Expected attribute '${k}'='${v}' but was missing`);
      else value(p, v, g);
    }
  };

  const children = (path: string[], e: Element, a: Element): void => {
    const group = (els: Element[]) => {
      const m = new Map<string, Element[]>();
      for (const el of els) m.set(qname(el), [...(m.get(qname(el)) ?? []), el]);
      return m;
    };
    const want = group(childElements(e));
    const got = group(childElements(a));
    for (const [name, actualGroup] of got) {
      const p = [...path, name];
      const expectedGroup = want.get(name);
      const typed = rules
        .best(p)
        ?.matchers.some((m) => m.match === "type" || m.match === "min" || m.match === "max");
      if (!expectedGroup) {
        // a response may hold children the consumer did not ask for, except under a type matcher
        if (typed) add(path, undefined, name, `Unexpected child <${name}/>`);
        continue;
      }
      want.delete(name);
      if (typed) {
        for (const child of actualGroup) element(p, expectedGroup[0] as Element, child);
        continue;
      }
      expectedGroup.forEach((ex, i) => {
        const ac = actualGroup[i];
        if (ac) element(p, ex, ac);
        else add(p, name, undefined, `Expected child <${name}/> but was missing`);
      });
    }
    for (const name of want.keys()) add(path, name, undefined, `Expected child <${name}/> but was missing`);
  };

  const text = (path: string[], e: Element, a: Element): void => {
    const p = [...path, "#text"];
    const et = textOf(e);
    const at = textOf(a);
    const r = rules.resolve(p);
    const failed = r ? applyRules(r, et, at) : et === at ? [] : [`Expected '${at}' to be equal to '${et}'`];
    for (const f of failed) add(p, et, at, f);
  };

  element(["$", qname(expected)], expected, actual);
  return out;
}
