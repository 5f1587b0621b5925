import { WithstandError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
/**
 * Pact's document paths (`$.a.b`, `$['a b']`, `$.items[*].id`, `$.a.*`, `$[0]`) and how a matching
 * rule's path is weighed against the path of a value, as pact_models' `calc_path_weight` does: each
 * token of the rule must fit the value's token (a name or index exactly: 2, a wildcard: 1) and the
 * weight is their product. A rule whose path is a prefix of the value's path applies too (its type
 * matcher cascades to the children); the heaviest rule wins, the longer on a tie.
 */
export type PathToken =
  | { kind: "root" }
  | { kind: "field"; name: string }
  | { kind: "index"; index: number }
  | { kind: "star" }
  | { kind: "starIndex" };

export class PathError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_PACT_FILE", message, EXIT.invalid, options);
    this.name = "PathError";
  }
}

/** Parses a rule path; throws PathError with what was expected. */
export function parsePath(path: string): PathToken[] {
  const s = path.trim();
  if (s === "" || s === "$") return [{ kind: "root" }];
  const tokens: PathToken[] = [];
  let i = 0;
  if (s[0] === "$") {
    tokens.push({ kind: "root" });
    i = 1;
  } else tokens.push({ kind: "root" }); // v2 header/query keys and bare names are relative to the root
  const bare = s[0] !== "$";
  if (bare) return [...tokens, { kind: "field", name: s }];
  while (i < s.length) {
    const c = s[i];
    if (c === ".") {
      i++;
      if (s[i] === "*") {
        tokens.push({ kind: "star" });
        i++;
        continue;
      }
      const start = i;
      while (i < s.length && s[i] !== "." && s[i] !== "[") i++;
      if (i === start) throw new PathError(`an empty name at ${start} of "${path}"`);
      tokens.push({ kind: "field", name: s.slice(start, i) });
    } else if (c === "[") {
      const end = s.indexOf("]", i);
      if (end < 0) throw new PathError(`an unclosed "[" at ${i} of "${path}"`);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === "*") tokens.push({ kind: "starIndex" });
      else if (/^\d+$/.test(inner)) tokens.push({ kind: "index", index: Number(inner) });
      else if (/^'.*'$/.test(inner) || /^".*"$/.test(inner))
        tokens.push({ kind: "field", name: inner.slice(1, -1) });
      else throw new PathError(`"[${inner}]" in "${path}" (expected [n], [*] or ['name'])`);
    } else {
      // `$foo` is not a path; `$.foo` is
      throw new PathError(`"${c}" at ${i} of "${path}" (expected "." or "[")`);
    }
  }
  return tokens;
}

function tokenWeight(token: PathToken, fragment: string): number {
  switch (token.kind) {
    case "root":
      return fragment === "$" ? 2 : 0;
    case "field":
      return token.name === fragment ? 2 : 0;
    case "index":
      return String(token.index) === fragment ? 2 : 0;
    case "starIndex":
      return /^\d+$/.test(fragment) ? 1 : 0;
    case "star":
      return 1;
  }
}

/** The weight of a rule path against a value's path (`["$", "items", "0", "id"]`); 0 when it does not apply. */
export function pathWeight(rule: readonly PathToken[], path: readonly string[]): number {
  if (rule.length > path.length) return 0;
  let weight = 1;
  for (let i = 0; i < rule.length; i++) {
    weight *= tokenWeight(rule[i] as PathToken, path[i] as string);
    if (weight === 0) return 0;
  }
  return weight;
}

/** `$.items[0].id` for a value's path, as Pact prints it in mismatches. */
export function formatPath(path: readonly string[]): string {
  let out = "";
  for (const p of path) {
    if (p === "$") out += "$";
    else if (/^\d+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_@#][\w-]*$/.test(p)) out += `.${p}`;
    else out += `['${p}']`;
  }
  return out || "$";
}
