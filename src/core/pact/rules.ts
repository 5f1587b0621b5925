import { WithstandError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { PathError, type PathToken, parsePath, pathWeight } from "./path.js";

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

/** A v2 matcher may leave `match` out: `{regex}` is a regex, `{min}`/`{max}` a type matcher with bounds. */
function toMatcher(raw: Record<string, unknown>): Matcher {
  if (typeof raw.match === "string") return raw as Matcher;
  if (typeof raw.regex === "string") return { ...raw, match: "regex" };
  if (raw.min !== undefined || raw.max !== undefined) return { ...raw, match: "type" };
  throw new RuleError(`a matcher without "match" (got ${JSON.stringify(raw)})`);
}

export class RuleError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_PACT_FILE", message, EXIT.invalid, options);
    this.name = "RuleError";
  }
}

function toRuleList(raw: unknown, where: string): RuleList {
  if (!isRecord(raw)) throw new RuleError(`${where}: expected a mapping of matchers`);
  if (Array.isArray(raw.matchers)) {
    const combine = raw.combine === "OR" ? "OR" : "AND";
    return { matchers: raw.matchers.map((m) => toMatcher(isRecord(m) ? m : {})), combine };
  }
  return { matchers: [toMatcher(raw)], combine: "AND" };
}

function category(entries: [string, unknown][], where: string, names = false): RuleCategory {
  const rules: PathRule[] = [];
  for (const [path, raw] of entries) {
    let tokens: PathToken[];
    try {
      tokens = names
        ? [{ kind: "root" }, { kind: "field", name: path.replace(/^\$\./, "") }]
        : parsePath(path);
    } catch (err) {
      if (err instanceof PathError) throw new RuleError(`${where}: the path ${err.message}`);
      throw err;
    }
    rules.push({ path, tokens, rules: toRuleList(raw, `${where} "${path}"`) });
  }
  return new RuleCategory(rules, names);
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
    const body: [string, unknown][] = [];
    const header: [string, unknown][] = [];
    const query: [string, unknown][] = [];
    const path: [string, unknown][] = [];
    for (const [k, v] of Object.entries(raw)) {
      if (k === "$.body" || k.startsWith("$.body.") || k.startsWith("$.body["))
        body.push([`$${k.slice(6)}`, v]);
      else if (k.startsWith("$.headers.")) header.push([k.slice(10), v]);
      else if (k.startsWith("$.header.")) header.push([k.slice(9), v]);
      else if (k.startsWith("$.query.")) query.push([k.slice(8), v]);
      else if (k === "$.path") path.push(["$", v]);
      else
        throw new RuleError(`${where}: "${k}" (expected a path under $.body, $.headers, $.query or $.path)`);
    }
    out.body = category(body, `${where} body`);
    out.header = category(header, `${where} header`, true);
    out.query = category(query, `${where} query`, true);
    out.path = category(path, `${where} path`);
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!isRecord(value)) throw new RuleError(`${where}.${name}: expected a mapping`);
    switch (name) {
      case "body":
        out.body = category(Object.entries(value), `${where}.body`);
        break;
      case "header":
      case "headers":
        out.header = category(Object.entries(value), `${where}.header`, true);
        break;
      case "query":
        out.query = category(Object.entries(value), `${where}.query`, true);
        break;
      case "path":
        out.path = category(
          Array.isArray(value.matchers) ? [["$", value]] : Object.entries(value),
          `${where}.path`,
        );
        break;
      case "status":
        out.status = category(
          Array.isArray(value.matchers) ? [["$", value]] : Object.entries(value),
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
export function bodyCategory(raw: unknown, where: string): RuleCategory {
  return isRecord(raw) ? category(Object.entries(raw), where) : RuleCategory.empty();
}
