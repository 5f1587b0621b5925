import { WithstandError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { PathError, type PathToken, parsePath, pathWeight } from "./path.js";
import { fullRegex } from "./regex.js";

/** One matcher as a pact file writes it: `{match: "type", min: 1}`, `{match: "regex", regex: "..."}`. */
export type Matcher = { match: string } & Record<string, unknown>;

export interface RuleList {
  matchers: Matcher[];
  combine: "AND" | "OR";
}

interface PathRule {
  path: string;
  tokens: PathToken[];
  rules: RuleList;
}

/** The rules of one category (body, header, query, path, status), keyed by path or name. */
export class RuleCategory {
  constructor(
    private readonly rules: readonly PathRule[],
    /** Header and query names are matched without regard to case (HTTP's header names). */
    private readonly caseInsensitiveNames = false,
  ) {}

  static empty(): RuleCategory {
    return new RuleCategory([]);
  }

  get isEmpty(): boolean {
    return this.rules.length === 0;
  }

  /** The rules for a name (a header, a query parameter), or undefined. */
  forName(name: string): RuleList | undefined {
    const n = this.caseInsensitiveNames ? name.toLowerCase() : name;
    for (const r of this.rules) {
      const key = r.path.startsWith("$.") ? r.path.slice(2) : r.path;
      if ((this.caseInsensitiveNames ? key.toLowerCase() : key) === n) return r.rules;
    }
    return undefined;
  }

  /** The best rules for a value's path (heaviest, then longest), or undefined when none applies. */
  best(path: readonly string[]): RuleList | undefined {
    let found: PathRule | undefined;
    let weight = 0;
    for (const r of this.rules) {
      const w = pathWeight(r.tokens, path);
      if (w > weight || (w > 0 && w === weight && found && r.tokens.length > found.tokens.length)) {
        found = r;
        weight = w;
      }
    }
    return found?.rules;
  }

  /**
   * The rules that apply to a value: its best rules, where those inherited from a parent (cascaded)
   * lose what only makes sense where they were written (collection matchers, size bounds).
   */
  resolve(path: readonly string[]): RuleList | undefined {
    const best = this.best(path);
    if (!best || this.exact(path) === best) return best;
    const matchers = best.matchers
      .filter((m) => !CASCADE_STOPS.has(m.match))
      .map((m) => {
        if (m.min === undefined && m.max === undefined) return m;
        const { min: _min, max: _max, ...rest } = m;
        return rest as Matcher;
      });
    return matchers.length > 0 ? { ...best, matchers } : undefined;
  }

  /** The rules written exactly for this path (for `arrayContains` variants and templates). */
  exact(path: readonly string[]): RuleList | undefined {
    return this.rules.find((r) => r.tokens.length === path.length && pathWeight(r.tokens, path) > 0)?.rules;
  }
}

/** Matchers about a collection itself, which its children do not inherit. */
const CASCADE_STOPS = new Set(["values", "eachKey", "eachValue", "arrayContains", "contentType"]);

export interface MatchingRules {
  body: RuleCategory;
  header: RuleCategory;
  query: RuleCategory;
  path: RuleCategory;
  status: RuleCategory;
}

export function noRules(): MatchingRules {
  return {
    body: RuleCategory.empty(),
    header: RuleCategory.empty(),
    query: RuleCategory.empty(),
    path: RuleCategory.empty(),
    status: RuleCategory.empty(),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Where a value sits under `matchingRules` (for the diagnostic's file:line:col). */
export type RulePath = readonly (string | number)[];

export class RuleError extends WithstandError {
  constructor(
    message: string,
    /** The path of the value at fault, from the `matchingRules` value. */
    readonly path: RulePath = [],
    options?: { cause?: unknown },
  ) {
    super("WS_PACT_FILE", message, EXIT.invalid, options);
    this.name = "RuleError";
  }
}

/** The matchers withstand applies (pact_models' names); the spellings other writers use map onto them. */
export const MATCHERS = [
  "equality",
  "regex",
  "type",
  "min",
  "max",
  "include",
  "integer",
  "decimal",
  "number",
  "boolean",
  "null",
  "date",
  "time",
  "timestamp",
  "datetime",
  "contentType",
  "values",
  "eachKey",
  "eachValue",
  "arrayContains",
  "notEmpty",
  "semver",
  "statusCode",
] as const;
const KNOWN = new Set<string>(MATCHERS);
const ALIASES: Record<string, string> = {
  real: "decimal",
  "min-type": "type",
  "max-type": "type",
  "content-type": "contentType",
  "array-contains": "arrayContains",
  "status-code": "statusCode",
  "not-empty": "notEmpty",
  "each-key": "eachKey",
  "each-value": "eachValue",
};
const STATUS_CLASSES = new Set([
  "information",
  "success",
  "redirect",
  "clientError",
  "serverError",
  "nonError",
  "error",
]);

/**
 * A v2 matcher may leave `match` out: `{regex}` is a regex, `{min}`/`{max}` a type matcher with bounds.
 * Every matcher is checked here, when the file is read, so a pact file's mistake (a matcher withstand
 * does not know, a regex that does not compile) is bad input before anything is sent, not a broken
 * contract.
 */
function toMatcher(raw: unknown, at: RulePath): Matcher {
  if (!isRecord(raw)) throw new RuleError(`expected a matcher (a mapping with "match")`, at);
  let m: Matcher;
  if (typeof raw.match === "string") m = raw as Matcher;
  else if (raw.match !== undefined)
    throw new RuleError(`expected "match" to be a matcher's name, got ${JSON.stringify(raw.match)}`, [
      ...at,
      "match",
    ]);
  else if (typeof raw.regex === "string") m = { ...raw, match: "regex" };
  else if (raw.min !== undefined || raw.max !== undefined) m = { ...raw, match: "type" };
  else throw new RuleError(`a matcher without "match" (got ${JSON.stringify(raw)})`, at);
  const alias = ALIASES[m.match];
  if (alias !== undefined) m = { ...m, match: alias };
  if (!KNOWN.has(m.match))
    throw new RuleError(`unknown matcher "${m.match}" (expected one of: ${MATCHERS.join(", ")})`, [
      ...at,
      "match",
    ]);
  checkMatcher(m, at);
  return m;
}

function checkMatcher(m: Matcher, at: RulePath): void {
  const need = (field: string, what: string, ok: (v: unknown) => boolean) => {
    if (!ok(m[field]))
      throw new RuleError(
        `the ${m.match} matcher needs "${field}" (${what})${m[field] === undefined ? "" : `, got ${JSON.stringify(m[field])}`}`,
        m[field] === undefined ? at : [...at, field],
      );
  };
  const isNumber = (v: unknown) => typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v));
  switch (m.match) {
    case "regex": {
      need("regex", "a regular expression", (v) => typeof v === "string");
      try {
        fullRegex(m.regex as string);
      } catch (err) {
        throw new RuleError(
          `the regex ${JSON.stringify(m.regex)} does not compile (${(err as Error).message.replace(/^Invalid regular expression: /, "")}); expected a regular expression`,
          [...at, "regex"],
        );
      }
      break;
    }
    case "include":
    case "contentType":
      need("value", "the text to look for", (v) => v !== undefined && v !== null);
      break;
    case "min":
    case "max":
      need(m.match, "a size", isNumber);
      break;
    case "statusCode": {
      const s = m.status;
      if (s === undefined) break;
      const ok = Array.isArray(s)
        ? s.every((x) => isNumber(x))
        : typeof s === "string" && STATUS_CLASSES.has(s);
      if (!ok)
        throw new RuleError(
          `the statusCode matcher needs "status" (one of ${[...STATUS_CLASSES].join(", ")}, or a list of status codes), got ${JSON.stringify(s)}`,
          [...at, "status"],
        );
      break;
    }
    case "eachKey":
    case "eachValue":
      if (m.rules === undefined) break;
      if (!Array.isArray(m.rules))
        throw new RuleError(`expected "rules" to be a list of matchers`, [...at, "rules"]);
      m.rules.forEach((r, n) => {
        toMatcher(r, [...at, "rules", n]);
      });
      break;
    case "arrayContains": {
      if (!Array.isArray(m.variants))
        throw new RuleError(`the arrayContains matcher needs "variants" (a list)`, [...at, "variants"]);
      m.variants.forEach((v, n) => {
        if (isRecord(v) && v.rules !== undefined)
          bodyCategory(v.rules, `arrayContains variant ${n}`, [...at, "variants", n, "rules"]);
      });
      break;
    }
    default:
      break;
  }
}

function toRuleList(raw: unknown, where: string, at: RulePath): RuleList {
  if (!isRecord(raw)) throw new RuleError(`${where}: expected a mapping of matchers`, at);
  if (Array.isArray(raw.matchers)) {
    const combine = raw.combine === "OR" ? "OR" : "AND";
    return {
      matchers: raw.matchers.map((m, n) => toMatcher(m, [...at, "matchers", n])),
      combine,
    };
  }
  return { matchers: [toMatcher(raw, at)], combine: "AND" };
}

/** One rule as the file writes it: the path it is for, the rules, and where they are in the file. */
type RawRule = [path: string, raw: unknown, at: RulePath];

function category(entries: RawRule[], where: string, names = false): RuleCategory {
  const rules: PathRule[] = [];
  for (const [path, raw, at] of entries) {
    let tokens: PathToken[];
    try {
      tokens = names
        ? [{ kind: "root" }, { kind: "field", name: path.replace(/^\$\./, "") }]
        : parsePath(path);
    } catch (err) {
      if (err instanceof PathError) throw new RuleError(`${where}: the path ${err.message}`, at);
      throw err;
    }
    rules.push({ path, tokens, rules: toRuleList(raw, `${where} "${path}"`, at) });
  }
  return new RuleCategory(rules, names);
}

/** The entries of a mapping, each with its place in the file. */
function entriesAt(value: Record<string, unknown>, at: RulePath): RawRule[] {
  return Object.entries(value).map(([k, v]) => [k, v, [...at, k]]);
}

/**
 * Reads `matchingRules` of any specification version: v2's flat map keyed by `$.body.x`,
 * `$.headers.X`, `$.query.q`, `$.path`, and v3/v4's categories (`body`, `header`, `query`, `path`,
 * `status`) of `{matchers, combine}`.
 */
export function readMatchingRules(raw: unknown, where = "matchingRules"): MatchingRules {
  const out = noRules();
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) throw new RuleError(`${where}: expected a mapping`);
  const keys = Object.keys(raw);
  if (keys.some((k) => k.startsWith("$"))) {
    const body: RawRule[] = [];
    const header: RawRule[] = [];
    const query: RawRule[] = [];
    const path: RawRule[] = [];
    for (const [k, v] of Object.entries(raw)) {
      if (k === "$.body" || k.startsWith("$.body.") || k.startsWith("$.body["))
        body.push([`$${k.slice(6)}`, v, [k]]);
      else if (k.startsWith("$.headers.")) header.push([k.slice(10), v, [k]]);
      else if (k.startsWith("$.header.")) header.push([k.slice(9), v, [k]]);
      else if (k.startsWith("$.query.")) query.push([k.slice(8), v, [k]]);
      else if (k === "$.path") path.push(["$", v, [k]]);
      else
        throw new RuleError(`${where}: "${k}" (expected a path under $.body, $.headers, $.query or $.path)`, [
          k,
        ]);
    }
    out.body = category(body, `${where} body`);
    out.header = category(header, `${where} header`, true);
    out.query = category(query, `${where} query`, true);
    out.path = category(path, `${where} path`);
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!isRecord(value)) throw new RuleError(`${where}.${name}: expected a mapping`, [name]);
    switch (name) {
      case "body":
        out.body = category(entriesAt(value, [name]), `${where}.body`);
        break;
      case "header":
      case "headers":
        out.header = category(entriesAt(value, [name]), `${where}.header`, true);
        break;
      case "query":
        out.query = category(entriesAt(value, [name]), `${where}.query`, true);
        break;
      case "path":
        out.path = category(
          Array.isArray(value.matchers) ? [["$", value, [name]]] : entriesAt(value, [name]),
          `${where}.path`,
        );
        break;
      case "status":
        out.status = category(
          Array.isArray(value.matchers) ? [["$", value, [name]]] : entriesAt(value, [name]),
          `${where}.status`,
        );
        break;
      default:
        // metadata, content: message categories, not verified over HTTP
        break;
    }
  }
  return out;
}

/** A body category from a mapping of path → rules (an `arrayContains` variant's own rules). */
export function bodyCategory(raw: unknown, where: string, at: RulePath = []): RuleCategory {
  return isRecord(raw) ? category(entriesAt(raw, at), where) : RuleCategory.empty();
}
