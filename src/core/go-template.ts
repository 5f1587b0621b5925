import { WithstandError } from "./errors.js";
import { compileGoRegExp } from "./go-regexp.js";
import { SPRIG } from "./sprig.js";

/**
 * The part of Go's text/template (and of the Sprig functions Goss adds) that Gossfiles use: `{{.Env.X}}`,
 * `{{.Vars.a.b}}`, pipelines, `if`/`else if`/`else`, `range` (with `$i, $v :=`), `with`, variables,
 * `{{-`/`-}}` trimming and comments. A function it does not have is an error naming the line, never
 * an empty string. Pure: functions that read files or the environment are passed in.
 */

export class TemplateError extends WithstandError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super("WS_TEMPLATE", `template line ${line}: ${message}`);
    this.name = "TemplateError";
  }
}

export type TemplateFunc = (...args: unknown[]) => unknown;

// ---- lexing into text and actions ----

interface Chunk {
  text?: string;
  action?: string;
  line: number;
}

function chunks(source: string): Chunk[] {
  const out: Chunk[] = [];
  let i = 0;
  let line = 1;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open === -1) {
      out.push({ text: source.slice(i), line });
      break;
    }
    let text = source.slice(i, open);
    const trimLeft = source[open + 2] === "-" && /\s/.test(source[open + 3] ?? "");
    if (trimLeft) text = text.replace(/\s+$/, "");
    out.push({ text, line });
    line += (source.slice(i, open).match(/\n/g) ?? []).length;
    const close = findClose(source, open + 2);
    if (close === -1) throw new TemplateError("unclosed action", line);
    let inner = source.slice(open + 2, close);
    const trimRight = inner.endsWith(" -") || inner.endsWith("\t-") || inner.endsWith("\n-");
    if (trimLeft) inner = inner.slice(1);
    if (trimRight) inner = inner.slice(0, -1);
    out.push({ action: inner.trim(), line });
    line += (inner.match(/\n/g) ?? []).length;
    i = close + 2;
    if (trimRight) {
      const rest = /^\s*/.exec(source.slice(i))?.[0] ?? "";
      line += (rest.match(/\n/g) ?? []).length;
      i += rest.length;
    }
  }
  return out;
}

/** The `}}` that closes an action, skipping quoted strings (which may hold braces). */
function findClose(source: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "`" || c === "'") quote = c;
    else if (c === "}" && source[i + 1] === "}") return i;
  }
  return -1;
}

// ---- tokens of an action ----

type Token =
  | { t: "str"; v: string }
  | { t: "num"; v: number }
  | { t: "field"; v: string[] }
  | { t: "var"; v: string; fields: string[] }
  | { t: "ident"; v: string }
  | { t: "pipe" }
  | { t: "lparen" }
  | { t: "rparen" }
  | { t: "assign"; declare: boolean }
  | { t: "comma" };

function tokenize(action: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fieldsAt = (start: number): [string[], number] => {
    const m = /^(\.[A-Za-z0-9_]+)*/.exec(action.slice(start));
    const text = m?.[0] ?? "";
    return [text.split(".").filter(Boolean), start + text.length];
  };
  while (i < action.length) {
    const c = action[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < action.length && action[j] !== '"') {
        if (action[j] === "\\") {
          const e = action[j + 1] ?? "";
          s += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
        } else s += action[j++];
      }
      if (j >= action.length) throw new TemplateError("unterminated quoted string", line);
      tokens.push({ t: "str", v: s });
      i = j + 1;
    } else if (c === "`") {
      const j = action.indexOf("`", i + 1);
      if (j === -1) throw new TemplateError("unterminated raw string", line);
      tokens.push({ t: "str", v: action.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "'") {
      tokens.push({ t: "num", v: action.codePointAt(i + 1) ?? 0 });
      i = action.indexOf("'", i + 2) + 1;
    } else if (c === "|") {
      tokens.push({ t: "pipe" });
      i++;
    } else if (c === "(") {
      tokens.push({ t: "lparen" });
      i++;
    } else if (c === ")") {
      tokens.push({ t: "rparen" });
      i++;
      if (action[i] === ".") {
        const [fields, next] = fieldsAt(i);
        tokens.push({ t: "field", v: ["", ...fields] });
        i = next;
      }
    } else if (c === ",") {
      tokens.push({ t: "comma" });
      i++;
    } else if (action.startsWith(":=", i)) {
      tokens.push({ t: "assign", declare: true });
      i += 2;
    } else if (c === "=") {
      tokens.push({ t: "assign", declare: false });
      i++;
    } else if (c === ".") {
      const [fields, next] = fieldsAt(i);
      tokens.push({ t: "field", v: fields });
      i = next === i ? i + 1 : next;
    } else if (c === "$") {
      const m = /^\$[A-Za-z0-9_]*/.exec(action.slice(i));
      const name = m?.[0] ?? "$";
      const [fields, next] = fieldsAt(i + name.length);
      tokens.push({ t: "var", v: name, fields });
      i = next;
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(0x[0-9a-fA-F]+|\d+\.?\d*([eE][-+]?\d+)?)/.exec(action.slice(i));
      if (!m) throw new TemplateError(`unexpected ${JSON.stringify(c)} in action`, line);
      tokens.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(action.slice(i));
      const word = m?.[0] ?? "";
      tokens.push({ t: "ident", v: word });
      i += word.length;
    } else {
      throw new TemplateError(`unexpected ${JSON.stringify(c)} in action`, line);
    }
  }
  return tokens;
}

// ---- parsing into a tree ----

type Expr =
  | { k: "lit"; v: unknown }
  | { k: "field"; base: Expr | undefined; path: string[] }
  | { k: "var"; name: string; path: string[] }
  | { k: "call"; fn: string; args: Expr[] }
  | { k: "pipe"; cmds: Expr[][] };

interface Pipeline {
  decl?: { names: string[]; declare: boolean };
  cmds: Expr[][];
}

type Node =
  | { k: "text"; v: string }
  | { k: "out"; p: Pipeline; line: number }
  | { k: "if"; branches: { p: Pipeline; body: Node[] }[]; otherwise: Node[]; line: number }
  | { k: "range"; p: Pipeline; body: Node[]; otherwise: Node[]; line: number }
  | { k: "with"; p: Pipeline; body: Node[]; otherwise: Node[]; line: number };

function parsePipeline(tokens: Token[], line: number): Pipeline {
  let pos = 0;
  let decl: Pipeline["decl"];
  const assignAt = tokens.findIndex((t) => t.t === "assign");
  if (assignAt > 0 && tokens.slice(0, assignAt).every((t) => t.t === "var" || t.t === "comma")) {
    const names = tokens.slice(0, assignAt).flatMap((t) => (t.t === "var" ? [t.v] : []));
    const a = tokens[assignAt] as { t: "assign"; declare: boolean };
    decl = { names, declare: a.declare };
    pos = assignAt + 1;
  }
  const operand = (): Expr => {
    const tok = tokens[pos++];
    if (!tok) throw new TemplateError("missing value in action", line);
    switch (tok.t) {
      case "str":
        return { k: "lit", v: tok.v };
      case "num":
        return { k: "lit", v: tok.v };
      case "field":
        return { k: "field", base: undefined, path: tok.v };
      case "var":
        return { k: "var", name: tok.v, path: tok.fields };
      case "ident":
        if (tok.v === "true" || tok.v === "false") return { k: "lit", v: tok.v === "true" };
        if (tok.v === "nil") return { k: "lit", v: null };
        return { k: "call", fn: tok.v, args: [] };
      case "lparen": {
        const inner = pipeline();
        if (tokens[pos]?.t !== "rparen") throw new TemplateError("unclosed parenthesis", line);
        pos++;
        const next = tokens[pos];
        const expr: Expr = { k: "pipe", cmds: inner };
        if (next?.t === "field" && next.v[0] === "") {
          pos++;
          return { k: "field", base: expr, path: next.v.slice(1) };
        }
        return expr;
      }
      default:
        throw new TemplateError(`unexpected ${tok.t} in action`, line);
    }
  };
  const command = (): Expr[] => {
    const cmd: Expr[] = [];
    while (pos < tokens.length && tokens[pos]?.t !== "pipe" && tokens[pos]?.t !== "rparen")
      cmd.push(operand());
    if (cmd.length === 0) throw new TemplateError("empty command in pipeline", line);
    return cmd;
  };
  const pipeline = (): Expr[][] => {
    const cmds = [command()];
    while (tokens[pos]?.t === "pipe") {
      pos++;
      cmds.push(command());
    }
    return cmds;
  };
  const cmds = pipeline();
  if (pos < tokens.length) throw new TemplateError("unexpected ) in action", line);
  return { ...(decl ? { decl } : {}), cmds };
}

function parse(source: string): Node[] {
  const list = chunks(source);
  let i = 0;
  const block = (stops: string[]): { nodes: Node[]; stop: string; stopLine: number; rest: string } => {
    const nodes: Node[] = [];
    while (i < list.length) {
      const c = list[i++] as Chunk;
      if (c.text !== undefined) {
        if (c.text) nodes.push({ k: "text", v: c.text });
        continue;
      }
      const action = c.action ?? "";
      if (action.startsWith("/*")) continue;
      const word = /^[a-z]+/.exec(action)?.[0] ?? "";
      const rest = action.slice(word.length).trim();
      if (stops.includes(word)) return { nodes, stop: word, stopLine: c.line, rest };
      if (word === "if" || word === "range" || word === "with") {
        const p = parsePipeline(tokenize(rest, c.line), c.line);
        const body = block(["else", "end"]);
        if (word === "if") {
          const branches = [{ p, body: body.nodes }];
          let otherwise: Node[] = [];
          let at = body;
          while (at.stop === "else") {
            if (at.rest.startsWith("if ")) {
              const bp = parsePipeline(tokenize(at.rest.slice(3), at.stopLine), at.stopLine);
              at = block(["else", "end"]);
              branches.push({ p: bp, body: at.nodes });
            } else {
              at = block(["end"]);
              otherwise = at.nodes;
            }
          }
          nodes.push({ k: "if", branches, otherwise, line: c.line });
        } else {
          const otherwise = body.stop === "else" ? block(["end"]).nodes : [];
          nodes.push({ k: word, p, body: body.nodes, otherwise, line: c.line });
        }
        continue;
      }
      if (["end", "else", "define", "template", "block", "break", "continue"].includes(word))
        throw new TemplateError(
          word === "end" || word === "else" ? `unexpected {{${word}}}` : `{{${word}}} is not supported`,
          c.line,
        );
      nodes.push({ k: "out", p: parsePipeline(tokenize(action, c.line), c.line), line: c.line });
    }
    if (stops.length > 0) throw new TemplateError(`missing {{end}}`, list.at(-1)?.line ?? 1);
    return { nodes, stop: "", stopLine: 0, rest: "" };
  };
  return block([]).nodes;
}

// ---- evaluation ----

const NO_VALUE = "<no value>";

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function show(v: unknown): string {
  if (v === undefined) return NO_VALUE;
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object")
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${show((v as Record<string, unknown>)[k])}`)
      .join(" ")}]`;
  return String(v);
}

function printf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+# 0]*\d*(?:\.\d+)?)([sdvqfxtT%])/g, (_m, flags: string, verb: string) => {
    if (verb === "%") return "%";
    const a = args[i++];
    if (verb === "d") return String(Math.trunc(Number(a)));
    if (verb === "f") {
      const p = /\.(\d+)/.exec(flags);
      return Number(a).toFixed(p ? Number(p[1]) : 6);
    }
    if (verb === "q") return JSON.stringify(show(a));
    if (verb === "x") return typeof a === "number" ? a.toString(16) : Buffer.from(String(a)).toString("hex");
    if (verb === "T") return typeof a;
    return show(a);
  });
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === "eq") return a === b;
  if (op === "ne") return a !== b;
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string"))
    throw new Error(`incompatible types for comparison: ${show(a)} ${op} ${show(b)}`);
  const x = a as number | string;
  const y = b as number | string;
  return op === "lt" ? x < y : op === "le" ? x <= y : op === "gt" ? x > y : x >= y;
}

const BUILTINS: Record<string, TemplateFunc> = {
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) throw new Error(`index of nil with ${show(k)}`);
      cur = Array.isArray(cur)
        ? cur[Number(k)]
        : Object.hasOwn(cur, String(k))
          ? (cur as Record<string, unknown>)[String(k)]
          : undefined;
    }
    return cur;
  },
  len: (v) =>
    typeof v === "string" || Array.isArray(v)
      ? v.length
      : v && typeof v === "object"
        ? Object.keys(v).length
        : 0,
  eq: (a, ...bs) => bs.some((b) => compare("eq", a, b)),
  ne: (a, b) => compare("ne", a, b),
  lt: (a, b) => compare("lt", a, b),
  le: (a, b) => compare("le", a, b),
  gt: (a, b) => compare("gt", a, b),
  ge: (a, b) => compare("ge", a, b),
  not: (a) => !truthy(a),
  and: (...xs) => xs.find((x) => !truthy(x)) ?? xs.at(-1),
  or: (...xs) => xs.find((x) => truthy(x)) ?? xs.at(-1),
  print: (...xs) => xs.map(show).join(""),
  println: (...xs) => `${xs.map(show).join(" ")}\n`,
  printf: (f, ...xs) => printf(String(f), xs),
  // Goss's own and Sprig's, as Gossfiles use them.
  mkSlice: (...xs) => xs,
  toLower: (s) => String(s).toLowerCase(),
  toUpper: (s) => String(s).toUpperCase(),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  trim: (s) => String(s).trim(),
  quote: (...xs) => xs.map((x) => JSON.stringify(show(x))).join(" "),
  squote: (...xs) => xs.map((x) => `'${show(x)}'`).join(" "),
  default: (d, v) => (truthy(v) ? v : d),
  empty: (v) => !truthy(v),
  contains: (sub, s) => String(s).includes(String(sub)),
  hasPrefix: (p, s) => String(s).startsWith(String(p)),
  hasSuffix: (p, s) => String(s).endsWith(String(p)),
  trimPrefix: (p, s) => (String(s).startsWith(String(p)) ? String(s).slice(String(p).length) : String(s)),
  trimSuffix: (p, s) =>
    String(s).endsWith(String(p)) ? String(s).slice(0, -String(p).length || undefined) : String(s),
  replace: (a, b, s) => String(s).split(String(a)).join(String(b)),
  split: (sep, s) =>
    Object.fromEntries(
      String(s)
        .split(String(sep))
        .map((p, i) => [`_${i}`, p]),
    ),
  splitList: (sep, s) => String(s).split(String(sep)),
  join: (sep, list) => (Array.isArray(list) ? list.map(show).join(String(sep)) : show(list)),
  list: (...xs) => xs,
  dict: (...xs) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < xs.length; i += 2) out[String(xs[i])] = xs[i + 1];
    return out;
  },
  toString: (v: unknown) => show(v),
  atoi: (s) => Number.parseInt(String(s), 10) || 0,
  int: (v) => Math.trunc(Number(v)) || 0,
  add: (...xs) => xs.reduce<number>((a, b) => a + Number(b), 0),
  sub: (a, b) => Number(a) - Number(b),
  // Goss's own (template.go), over Sprig's of the same name; Go's RE2 syntax.
  regexMatch: (re, s) => compileGoRegExp(String(re)).test(String(s)),
  findStringSubmatch: (re, s) => {
    // A map of named groups when the pattern names any, else of the groups by their number as text.
    const r = compileGoRegExp(String(re));
    const m = r.exec(String(s)) ?? [];
    const named = Object.entries(r.names).filter(([, i]) => i < m.length);
    return Object.fromEntries(
      named.length > 0 ? named.map(([n, i]) => [n, m[i]]) : m.map((x, i) => [String(i), x]),
    );
  },
  toJson: (v) => JSON.stringify(v),
  ...SPRIG,
};

type Scope = Map<string, unknown>;

/**
 * A chain of field names on a value, as Goss executes templates (`missingkey=error`): a key a map does
 * not have is an error, never `<no value>`, and so is a field of nothing.
 */
function field(base: unknown, path: string[], at: string, line: number): unknown {
  let cur = base;
  for (const name of path) {
    if (cur === null || cur === undefined)
      throw new TemplateError(`executing at <${at}>: nil pointer evaluating interface {}.${name}`, line);
    if (typeof cur !== "object" || Array.isArray(cur))
      throw new TemplateError(`executing at <${at}>: can't evaluate field ${name} in ${show(cur)}`, line);
    if (!Object.hasOwn(cur, name))
      throw new TemplateError(`executing at <${at}>: map has no entry for key ${JSON.stringify(name)}`, line);
    cur = (cur as Record<string, unknown>)[name];
  }
  return cur;
}

class Evaluator {
  constructor(
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly root: unknown,
  ) {}

  private lookup(scopes: Scope[], name: string, line: number): unknown {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]?.has(name)) return scopes[i]?.get(name);
    throw new TemplateError(`undefined variable ${name}`, line);
  }

  private expr(e: Expr, dot: unknown, scopes: Scope[], line: number, piped: unknown[]): unknown {
    switch (e.k) {
      case "lit":
        return e.v;
      case "field":
        return field(
          e.base ? this.expr(e.base, dot, scopes, line, []) : dot,
          e.path,
          `${e.base ? "(...)" : ""}.${e.path.join(".")}`,
          line,
        );
      case "var":
        return field(
          e.name === "$" ? this.root : this.lookup(scopes, e.name, line),
          e.path,
          [e.name, ...e.path].join("."),
          line,
        );
      case "pipe":
        return this.pipeline(e.cmds, dot, scopes, line);
      case "call": {
        const fn = Object.hasOwn(this.funcs, e.fn)
          ? this.funcs[e.fn]
          : Object.hasOwn(BUILTINS, e.fn)
            ? BUILTINS[e.fn]
            : undefined;
        if (!fn) throw new TemplateError(`function ${JSON.stringify(e.fn)} is not defined`, line);
        try {
          return fn(...piped);
        } catch (err) {
          if (err instanceof TemplateError) throw err;
          throw new TemplateError(`${e.fn}: ${(err as Error).message}`, line);
        }
      }
    }
  }

  /**
   * Go (since 1.18) evaluates `and`/`or` arguments only until the result is known: `and .A .A.B` does
   * not evaluate `.A.B` when `.A` is empty, so it is not an error there.
   */
  private shortCircuit(
    fn: "and" | "or",
    args: Expr[],
    piped: unknown[],
    dot: unknown,
    scopes: Scope[],
    line: number,
  ): unknown {
    if (args.length + piped.length === 0) throw new TemplateError(`${fn}: wrong number of args`, line);
    let v: unknown;
    for (const a of args) {
      v = this.expr(a, dot, scopes, line, []);
      if (truthy(v) !== (fn === "and")) return v;
    }
    return piped.length > 0 ? piped[0] : v;
  }

  private pipeline(cmds: Expr[][], dot: unknown, scopes: Scope[], line: number): unknown {
    let prev: unknown[] = [];
    let value: unknown;
    for (const cmd of cmds) {
      const [head, ...rest] = cmd;
      if (!head) throw new TemplateError("empty command", line);
      if (
        head.k === "call" &&
        (head.fn === "and" || head.fn === "or") &&
        !Object.hasOwn(this.funcs, head.fn)
      ) {
        value = this.shortCircuit(head.fn, rest, prev, dot, scopes, line);
        prev = [value];
        continue;
      }
      const args = [...rest.map((a) => this.expr(a, dot, scopes, line, [])), ...prev];
      if (head.k === "call") value = this.expr(head, dot, scopes, line, args);
      else if (args.length > 0) throw new TemplateError("can't give arguments to a non-function", line);
      else value = this.expr(head, dot, scopes, line, []);
      prev = [value];
    }
    return value;
  }

  private run(p: Pipeline, dot: unknown, scopes: Scope[], line: number): unknown {
    const value = this.pipeline(p.cmds, dot, scopes, line);
    if (p.decl) {
      const target = p.decl.declare
        ? scopes[scopes.length - 1]
        : scopes.findLast((s) => s.has(p.decl?.names[0] ?? ""));
      if (!target) throw new TemplateError(`undefined variable ${p.decl.names[0]}`, line);
      target.set(p.decl.names[p.decl.names.length - 1] ?? "", value);
    }
    return value;
  }

  nodes(list: Node[], dot: unknown, scopes: Scope[]): string {
    let out = "";
    for (const n of list) {
      if (n.k === "text") out += n.v;
      else if (n.k === "out") {
        const v = this.run(n.p, dot, scopes, n.line);
        if (!n.p.decl) out += show(v);
      } else if (n.k === "if") {
        const hit = n.branches.find((b) => truthy(this.pipeline(b.p.cmds, dot, scopes, n.line)));
        out += this.nodes(hit ? hit.body : n.otherwise, dot, [...scopes, new Map()]);
      } else if (n.k === "with") {
        const v = this.pipeline(n.p.cmds, dot, scopes, n.line);
        out += truthy(v)
          ? this.nodes(n.body, v, [...scopes, new Map()])
          : this.nodes(n.otherwise, dot, [...scopes, new Map()]);
      } else {
        const v = this.pipeline(n.p.cmds, dot, scopes, n.line);
        const entries: [unknown, unknown][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === "object"
            ? Object.keys(v)
                .sort()
                .map((k) => [k, (v as Record<string, unknown>)[k]])
            : typeof v === "number"
              ? Array.from({ length: v }, (_, i) => [i, i])
              : [];
        if (entries.length === 0) out += this.nodes(n.otherwise, dot, [...scopes, new Map()]);
        for (const [k, x] of entries) {
          const scope: Scope = new Map();
          const names = n.p.decl?.names ?? [];
          if (names.length === 1) scope.set(names[0] ?? "", x);
          if (names.length === 2) {
            scope.set(names[0] ?? "", k);
            scope.set(names[1] ?? "", x);
          }
          out += this.nodes(n.body, x, [...scopes, scope]);
        }
      }
    }
    return out;
  }
}

/** Renders `source` with `data` as dot; `funcs` add to (or replace) the built-in functions. */
export function renderGoTemplate(
  source: string,
  data: unknown,
  funcs: Record<string, TemplateFunc> = {},
): string {
  if (!source.includes("{{")) return source;
  const tree = parse(source);
  return new Evaluator(funcs, data).nodes(tree, data, [new Map([["$", data]])]);
}
