import { JsonComparison, type Mismatch } from "./json.js";
import { applyRules, type Json, show } from "./matchers.js";
import type { PactResponse } from "./pact-file.js";
import type { RuleCategory } from "./rules.js";

/** What the provider answered. */
export interface ActualResponse {
  status: number;
  /** Header names in any case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** Compares XML bodies (injected: the parser lives outside core). */
export type XmlComparer = (expected: string, actual: string, rules: RuleCategory) => Mismatch[];

export type BodyKind = "json" | "xml" | "text";

export function bodyKindOf(contentType: string | undefined, sample: unknown): BodyKind {
  const ct = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (ct === "application/json" || ct.endsWith("+json") || ct === "text/json") return "json";
  if (ct === "application/xml" || ct === "text/xml" || ct.endsWith("+xml")) return "xml";
  if (ct !== "") return "text";
  if (typeof sample !== "string") return "json";
  const t = sample.trimStart();
  if (t.startsWith("<?xml") || /^<[A-Za-z]/.test(t)) return "xml";
  return "text";
}

function mediaType(value: string): { type: string; params: Map<string, string> } {
  const [type = "", ...rest] = value.split(";");
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    params.set(
      p.slice(0, eq).trim().toLowerCase(),
      p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, ""),
    );
  }
  return { type: type.trim(), params };
}

/** Content-Type and Accept compare as lists of media types: the actual may add parameters; charset ignores case. */
function mediaTypesMatch(expected: string, actual: string): boolean {
  const e = splitValues(expected);
  const a = splitValues(actual);
  return e.length === a.length && e.every((x, i) => mediaTypeMatches(x, a[i] as string));
}

function mediaTypeMatches(expected: string, actual: string): boolean {
  const e = mediaType(expected);
  const a = mediaType(actual);
  if (e.type !== a.type) return false;
  for (const [k, v] of e.params) {
    const got = a.params.get(k);
    if (got === undefined) return false;
    if (k === "charset" ? got.toLowerCase() !== v.toLowerCase() : got !== v) return false;
  }
  return true;
}

function splitValues(v: string): string[] {
  return v.split(",").map((s) => s.trim());
}

export function matchStatus(expected: PactResponse, actual: number): Mismatch[] {
  const rules = expected.rules.status.best(["$"]);
  if (rules) {
    return applyRules(rules, expected.status, actual).map((m) => ({
      type: "status",
      path: "",
      expected: expected.status,
      actual,
      mismatch: m,
    }));
  }
  const want = expected.status ?? 200;
  return want === actual
    ? []
    : [{ type: "status", path: "", expected: want, actual, mismatch: `expected ${want} but was ${actual}` }];
}

export function matchHeaders(expected: PactResponse, actual: Record<string, string>): Mismatch[] {
  const lower = new Map(Object.entries(actual).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Mismatch[] = [];
  for (const [name, want] of expected.headers) {
    const got = lower.get(name.toLowerCase());
    const add = (mismatch: string) =>
      out.push({ type: "header", path: name, expected: want, actual: got, mismatch });
    if (got === undefined) {
      add(`Expected a header '${name}' but was missing`);
      continue;
    }
    const rules = expected.rules.header.forName(name);
    if (rules) {
      for (const m of applyRules(rules, want, got)) add(`Mismatch with header '${name}': ${m}`);
      continue;
    }
    const n = name.toLowerCase();
    const ok =
      n === "content-type" || n === "accept"
        ? mediaTypesMatch(want, got)
        : JSON.stringify(splitValues(want)) === JSON.stringify(splitValues(got));
    if (!ok) add(`Expected header '${name}' to have value '${want}' but was '${got}'`);
  }
  return out;
}

export function matchBody(expected: PactResponse, actual: ActualResponse, xml: XmlComparer): Mismatch[] {
  if (expected.body.kind === "absent") return [];
  const want = expected.body.value;
  const mismatch = (m: string, e: unknown = want, a: unknown = actual.body): Mismatch[] => [
    { type: "body", path: "$", expected: e, actual: a, mismatch: m },
  ];
  // An empty expected body asks for no body; a JSON null one accepts no body or null.
  if (want === "" || want === null) {
    if (actual.body.length === 0) return [];
    if (want === null && actual.body.trim() === "null") return [];
    return mismatch(`Expected an empty body but received ${show(actual.body)}`);
  }
  const actualType = Object.entries(actual.headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  const kind = bodyKindOf(expected.contentType, want);
  const rootRules = expected.rules.body.exact(["$"]);
  const contentType = rootRules?.matchers.find((m) => m.match === "contentType");
  if (contentType) {
    const want = String(contentType.value ?? "");
    const got = actualType ?? "";
    if (!mediaTypesMatch(want, got))
      return mismatch(`Expected a body of '${want}' but the actual content type was '${got}'`, want, got);
    return [];
  }
  if (actual.body.length === 0)
    return mismatch(`Expected a body of ${show(want)} but the actual body was empty`);
  if (kind === "json") {
    let parsed: Json;
    try {
      parsed = JSON.parse(actual.body) as Json;
    } catch (err) {
      return mismatch(`Failed to parse the actual body as JSON: ${(err as Error).message}`);
    }
    let expectedJson = want as Json;
    if (typeof want === "string") {
      try {
        expectedJson = JSON.parse(want) as Json;
      } catch {
        // a JSON content type with a plain string body: compare the string
      }
    }
    const c = new JsonComparison(expected.rules.body);
    c.compare(["$"], expectedJson, parsed);
    return c.mismatches;
  }
  const text = typeof want === "string" ? want : JSON.stringify(want);
  if (kind === "xml") return xml(text, actual.body, expected.rules.body);
  if (rootRules) return applyRules(rootRules, text, actual.body).flatMap((m) => mismatch(m, text));
  return text === actual.body
    ? []
    : mismatch(
        `Expected body ${show(text)} to match ${show(actual.body)} using equality but did not match`,
        text,
      );
}

/** Every difference between the expected response and the actual one, status first. */
export function matchResponse(expected: PactResponse, actual: ActualResponse, xml: XmlComparer): Mismatch[] {
  return [
    ...matchStatus(expected, actual.status),
    ...matchHeaders(expected, actual.headers),
    ...matchBody(expected, actual, xml),
  ];
}
