import { RE2JS } from "re2js";
import { WithstandError } from "./errors.js";
import { EXIT } from "./exit-codes.js";

/**
 * A regular expression as Go's `regexp` package reads it (RE2 syntax: `\Q…\E`, `[[:alpha:]]`, `(?i)`,
 * `\z`, `(?U)`, ...), matched by RE2JS, a port of RE2 itself, so a pattern means in withstand what it
 * means in Goss and Gatus. A pattern RE2 refuses (a lookahead, a backreference) is an error naming it.
 */
export interface GoRegExp {
  readonly source: string;
  /** Named groups (`(?P<name>…)`) by their number. */
  readonly names: Readonly<Record<string, number>>;
  /** Whether the pattern matches anywhere in `s`, as Go's MatchString. */
  test(s: string): boolean;
  /** The leftmost match and its groups ("" for a group that did not take part), as FindStringSubmatch. */
  exec(s: string): string[] | null;
  /** The [start, end) of the first match at or after `from`. */
  execAt(s: string, from: number): [number, number] | null;
}

export class GoRegExpError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_REGEXP", message, EXIT.invalid, options);
    this.name = "GoRegExpError";
  }
}

export function compileGoRegExp(source: string): GoRegExp {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new GoRegExpError(`invalid regular expression /${source}/: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return {
    source,
    names: { ...re.namedGroups() },
    test: (s) => re.matcher(s).find(),
    exec: (s) => {
      const m = re.matcher(s);
      if (!m.find()) return null;
      const out: string[] = [];
      for (let i = 0; i <= m.groupCount(); i++) out.push(m.group(i) ?? "");
      return out;
    },
    execAt: (s, from) => {
      const m = re.matcher(s);
      return m.find(from) ? [m.start(), m.end()] : null;
    },
  };
}
