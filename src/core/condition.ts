/**
 * Analysis conditions, a small subset of Argo's expr-lang: comparisons of numbers and strings joined
 * with && / || (or `and` / `or`), `!` / `not`, and parentheses. Names are dotted paths into the
 * measurement, e.g. `score >= 95`, `errors.canary < 0.01`, `verdict == "Fail"`, `result.score < 75`.
 */
export type Value = number | string | boolean | undefined;
export type Env = Record<string, unknown>;

type Node =
  | { t: "lit"; v: Value }
  | { t: "name"; path: string[] }
  | { t: "not"; e: Node }
  | { t: "bin"; op: string; l: Node; r: Node };

/**
 * A condition is three-valued: `undefined` means unknown (a name with no data). Unknown stays unknown
 * through `!`, `&&` and `||` (Kleene logic: `false && x` is false, `true || x` is true), so missing
 * data can never make `!(score < 95)` true: an unknown condition is neither success nor failure.
 */
export type Truth = boolean | undefined;

export type ParsedCondition = { ok: true; eval: (env: Env) => Truth } | { ok: false; error: string };

const TOKEN =
  /\s*(?:(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][\w.-]*)|(&&|\|\||<=|>=|==|!=|<|>|!|\(|\)))/y;

function tokenize(src: string): { tokens: string[]; kinds: string[] } | { error: string } {
  const tokens: string[] = [];
  const kinds: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(src);
    if (!m) return { error: `unexpected ${JSON.stringify(src.slice(at).trim()[0])} at offset ${at}` };
    at = TOKEN.lastIndex;
    if (m[1] !== undefined) kinds.push("num");
    else if (m[2] !== undefined) kinds.push("str");
    else if (m[3] !== undefined) kinds.push("name");
    else kinds.push("op");
    tokens.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
  }
  return { tokens, kinds };
}

export function parseCondition(src: string): ParsedCondition {
  const lexed = tokenize(src);
  if ("error" in lexed) return { ok: false, error: lexed.error };
  const { tokens, kinds } = lexed;
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    throw new Error(`${what} (at ${peek() === undefined ? "the end" : JSON.stringify(peek())})`);
  };
  const orExpr = (): Node => {
    let l = andExpr();
    while (peek() === "||" || peek() === "or") {
      i++;
      l = { t: "bin", op: "||", l, r: andExpr() };
    }
    return l;
  };
  const andExpr = (): Node => {
    let l = notExpr();
    while (peek() === "&&" || peek() === "and") {
      i++;
      l = { t: "bin", op: "&&", l, r: notExpr() };
    }
    return l;
  };
  const notExpr = (): Node => {
    if (peek() === "!" || peek() === "not") {
      i++;
      return { t: "not", e: notExpr() };
    }
    return comparison();
  };
  const comparison = (): Node => {
    const l = operand();
    const op = peek();
    if (op && ["<", "<=", ">", ">=", "==", "!="].includes(op)) {
      i++;
      return { t: "bin", op, l, r: operand() };
    }
    return l;
  };
  const operand = (): Node => {
    const tok = peek();
    const kind = kinds[i];
    if (tok === undefined) return fail("expected a value");
    if (tok === "(") {
      i++;
      const e = orExpr();
      if (peek() !== ")") fail('expected ")"');
      i++;
      return e;
    }
    i++;
    if (kind === "num") return { t: "lit", v: Number(tok) };
    if (kind === "str") return { t: "lit", v: tok.slice(1, -1).replace(/\\(.)/g, "$1") };
    if (kind === "name") {
      if (tok === "true" || tok === "false") return { t: "lit", v: tok === "true" };
      return { t: "name", path: tok.split(".") };
    }
    i--;
    return fail("expected a number, a string or a name");
  };
  let root: Node;
  try {
    root = orExpr();
    if (i < tokens.length) fail("unexpected token");
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  return { ok: true, eval: (env) => truth(evaluate(root, env)) };
}

function lookup(env: Env, path: string[]): Value {
  let v: unknown = env;
  for (const p of path)
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean" ? v : undefined;
}

/** A value as a truth: unknown stays unknown; anything else by JavaScript truthiness. */
function truth(v: Value): Truth {
  return v === undefined ? undefined : Boolean(v);
}

function evaluate(n: Node, env: Env): Value {
  switch (n.t) {
    case "lit":
      return n.v;
    case "name":
      return lookup(env, n.path);
    case "not": {
      const v = truth(evaluate(n.e, env));
      return v === undefined ? undefined : !v;
    }
    case "bin": {
      if (n.op === "&&") {
        const l = truth(evaluate(n.l, env));
        if (l === false) return false;
        const r = truth(evaluate(n.r, env));
        if (r === false) return false;
        return l === undefined || r === undefined ? undefined : true;
      }
      if (n.op === "||") {
        const l = truth(evaluate(n.l, env));
        if (l === true) return true;
        const r = truth(evaluate(n.r, env));
        if (r === true) return true;
        return l === undefined || r === undefined ? undefined : false;
      }
      const l = evaluate(n.l, env);
      const r = evaluate(n.r, env);
      // A comparison with a missing value (no data) is unknown, never false: see Truth.
      if (l === undefined || r === undefined) return undefined;
      if (typeof l === "number" && Number.isNaN(l)) return undefined;
      switch (n.op) {
        case "==":
          return l === r;
        case "!=":
          return l !== r;
        case "<":
          return l < r;
        case "<=":
          return l <= r;
        case ">":
          return l > r;
        default:
          return l >= r;
      }
    }
  }
}
