/**
 * Analysis conditions, the part of Argo's expr-lang that analyses use: comparisons of numbers and
 * strings joined with && / || (or `and` / `or`), `!` / `not`, parentheses, + - * / %, indexing
 * (`result[0]`), and the functions len, isNaN, isInf, abs, default, asInt, asFloat, and all/any/none
 * with a `#` predicate (`all(result, # < 1000)`). Names are dotted paths into the measurement, e.g.
 * `score >= 95`, `errors.canary < 0.01`, `verdict == "Fail"`, `result[0] >= 0.95`.
 */
export type Value = number | string | boolean | readonly Value[] | undefined;
export type Env = Record<string, unknown>;

type Node =
  | { t: "lit"; v: Value }
  | { t: "name"; path: string[] }
  | { t: "item" }
  | { t: "not"; e: Node }
  | { t: "neg"; e: Node }
  | { t: "index"; e: Node; at: Node }
  | { t: "call"; fn: string; args: Node[] }
  | { t: "bin"; op: string; l: Node; r: Node };

/**
 * A condition is three-valued: `undefined` means unknown (a name with no data). Unknown stays unknown
 * through `!`, `&&` and `||` (Kleene logic: `false && x` is false, `true || x` is true), so missing
 * data can never make `!(score < 95)` true: an unknown condition is neither success nor failure.
 */
export type Truth = boolean | undefined;

export type ParsedCondition = { ok: true; eval: (env: Env) => Truth } | { ok: false; error: string };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][\w.-]*)|(&&|\|\||<=|>=|==|!=|<|>|!|\(|\)|\[|\]|,|\+|-|\*|\/|%|#))/y;

const FUNCTIONS: Record<string, number> = {
  len: 1,
  isNaN: 1,
  isInf: 1,
  abs: 1,
  asInt: 1,
  asFloat: 1,
  default: 2,
  all: 2,
  any: 2,
  none: 2,
};

function tokenize(src: string): { tokens: string[]; kinds: string[] } | { error: string } {
  const tokens: string[] = [];
  const kinds: string[] = [];
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

/** A recursive-descent parser over the tokens; throws with the offending token. */
function parser(tokens: string[], kinds: string[]): () => Node {
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    throw new Error(`${what} (at ${peek() === undefined ? "the end" : JSON.stringify(peek())})`);
  };
  const expect = (tok: string) => {
    if (peek() !== tok) fail(`expected ${JSON.stringify(tok)}`);
    i++;
  };
  const binary =
    (ops: string[], next: () => Node, alias: Record<string, string> = {}) =>
    (): Node => {
      let l = next();
      for (let op = peek(); op !== undefined && ops.includes(op); op = peek()) {
        i++;
        l = { t: "bin", op: alias[op] ?? op, l, r: next() };
      }
      return l;
    };
  const primary = (): Node => {
    const tok = peek();
    const kind = kinds[i];
    if (tok === undefined) return fail("expected a value");
    i++;
    if (tok === "(") {
      const e = orExpr();
      expect(")");
      return e;
    }
    if (tok === "#") return { t: "item" };
    if (kind === "num") return { t: "lit", v: Number(tok) };
    if (kind === "str") return { t: "lit", v: tok.slice(1, -1).replace(/\\(.)/g, "$1") };
    if (kind === "name") {
      if (tok === "true" || tok === "false") return { t: "lit", v: tok === "true" };
      if (peek() === "(") return call(tok);
      return { t: "name", path: tok.split(".") };
    }
    i--;
    return fail("expected a number, a string or a name");
  };
  const call = (fn: string): Node => {
    const arity = FUNCTIONS[fn];
    if (arity === undefined)
      throw new Error(
        `unsupported function ${fn}() (withstand supports ${Object.keys(FUNCTIONS).join(", ")})`,
      );
    expect("(");
    const args: Node[] = [];
    while (peek() !== ")") {
      args.push(orExpr());
      if (peek() !== ",") break;
      i++;
    }
    expect(")");
    if (args.length !== arity) throw new Error(`${fn}() takes ${arity} argument${arity > 1 ? "s" : ""}`);
    return { t: "call", fn, args };
  };
  const postfix = (): Node => {
    let e = primary();
    while (peek() === "[") {
      i++;
      const at = orExpr();
      expect("]");
      e = { t: "index", e, at };
    }
    return e;
  };
  const unary = (): Node => {
    if (peek() === "-") {
      i++;
      return { t: "neg", e: unary() };
    }
    return postfix();
  };
  const product = binary(["*", "/", "%"], unary);
  const sum = binary(["+", "-"], product);
  const comparison = (): Node => {
    const l = sum();
    const op = peek();
    if (op && ["<", "<=", ">", ">=", "==", "!="].includes(op)) {
      i++;
      return { t: "bin", op, l, r: sum() };
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
  const andExpr = binary(["&&", "and"], notExpr, { and: "&&" });
  const orExpr = binary(["||", "or"], andExpr, { or: "||" });
  return () => {
    const root = orExpr();
    if (i < tokens.length) fail("unexpected token");
    return root;
  };
}

export function parseCondition(src: string): ParsedCondition {
  const lexed = tokenize(src);
  if ("error" in lexed) return { ok: false, error: lexed.error };
  let root: Node;
  try {
    root = parser(lexed.tokens, lexed.kinds)();
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  return { ok: true, eval: (env) => truth(evaluate(root, env, undefined)) };
}

function asValue(v: unknown): Value {
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(asValue);
  return undefined;
}

function lookup(env: Env, path: string[]): Value {
  let v: unknown = env;
  for (const p of path)
    v =
      typeof v === "object" && v !== null && !Array.isArray(v)
        ? (v as Record<string, unknown>)[p]
        : undefined;
  return asValue(v);
}

/** A value as a truth: unknown stays unknown; anything else by JavaScript truthiness. */
function truth(v: Value): Truth {
  return v === undefined ? undefined : Boolean(v);
}

const num = (v: Value): number | undefined => (typeof v === "number" ? v : undefined);

function callFn(fn: string, args: Node[], env: Env, item: Value): Value {
  const first = evaluate(args[0] as Node, env, item);
  switch (fn) {
    case "len":
      return Array.isArray(first) || typeof first === "string" ? first.length : undefined;
    case "isNaN":
      return typeof first === "number" ? Number.isNaN(first) : undefined;
    case "isInf":
      return typeof first === "number" ? !Number.isFinite(first) && !Number.isNaN(first) : undefined;
    case "abs":
      return num(first) === undefined ? undefined : Math.abs(first as number);
    case "asInt":
      return num(first) === undefined ? undefined : Math.trunc(first as number);
    case "asFloat":
      return typeof first === "string" ? Number(first) : num(first);
    case "default":
      return first === undefined ? evaluate(args[1] as Node, env, item) : first;
    default: {
      // all / any / none: the predicate sees each element as `#`; an unknown element stays unknown.
      if (!Array.isArray(first)) return undefined;
      const results = first.map((el) => truth(evaluate(args[1] as Node, env, el)));
      if (fn === "all")
        return results.includes(false) ? false : results.includes(undefined) ? undefined : true;
      const some = results.includes(true) ? true : results.includes(undefined) ? undefined : false;
      return fn === "any" ? some : some === undefined ? undefined : !some;
    }
  }
}

function arithmetic(op: string, l: Value, r: Value): Value {
  if (op === "+" && typeof l === "string" && typeof r === "string") return l + r;
  if (typeof l !== "number" || typeof r !== "number") return undefined;
  switch (op) {
    case "+":
      return l + r;
    case "-":
      return l - r;
    case "*":
      return l * r;
    case "/":
      return l / r;
    default:
      return l % r;
  }
}

function compare(op: string, l: Value, r: Value): Value {
  // A comparison with a missing value (no data) is unknown, never false: see Truth.
  if (l === undefined || r === undefined) return undefined;
  if (typeof l === "number" && Number.isNaN(l)) return undefined;
  if (Array.isArray(l) || Array.isArray(r)) return undefined;
  switch (op) {
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

function evaluate(n: Node, env: Env, item: Value): Value {
  switch (n.t) {
    case "lit":
      return n.v;
    case "name":
      return lookup(env, n.path);
    case "item":
      return item;
    case "not": {
      const v = truth(evaluate(n.e, env, item));
      return v === undefined ? undefined : !v;
    }
    case "neg": {
      const v = evaluate(n.e, env, item);
      return typeof v === "number" ? -v : undefined;
    }
    case "index": {
      const v = evaluate(n.e, env, item);
      const at = evaluate(n.at, env, item);
      if (!Array.isArray(v) || typeof at !== "number") return undefined;
      return v[at < 0 ? v.length + at : at];
    }
    case "call":
      return callFn(n.fn, n.args, env, item);
    case "bin": {
      if (n.op === "&&") {
        const l = truth(evaluate(n.l, env, item));
        if (l === false) return false;
        const r = truth(evaluate(n.r, env, item));
        if (r === false) return false;
        return l === undefined || r === undefined ? undefined : true;
      }
      if (n.op === "||") {
        const l = truth(evaluate(n.l, env, item));
        if (l === true) return true;
        const r = truth(evaluate(n.r, env, item));
        if (r === true) return true;
        return l === undefined || r === undefined ? undefined : false;
      }
      const l = evaluate(n.l, env, item);
      const r = evaluate(n.r, env, item);
      if (["+", "-", "*", "/", "%"].includes(n.op)) return arithmetic(n.op, l, r);
      return compare(n.op, l, r);
    }
  }
}
