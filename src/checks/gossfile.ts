import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { CheckKind, SettingType } from "../core/check-kind.js";
import { renderGoTemplate, TemplateError } from "../core/go-template.js";
import { compileAttribute, type Matcher, MatcherSyntaxError } from "../core/goss-matchers.js";
import { isRecord } from "../core/reader.js";
import { suggest } from "../core/suggest.js";
import { isSlothSpec } from "../documents/detect.js";
import { type Diagnostic, fileDiagnostic } from "../documents/diagnostic.js";
import { checkDepth, maxDocumentBytes } from "../documents/limits.js";
import {
  composeBounded,
  diagnosticAt,
  parseSource,
  positionOf,
  type SourceDoc,
} from "../documents/source.js";
import { CHECK_KINDS, UNSUPPORTED_TYPES } from "./kinds.js";

/** One test of an entry: a property and what it must match. */
export interface CheckTest {
  property: string;
  expected: unknown;
  matcher: Matcher;
}

/** One resource entry of a Gossfile (after includes and templates). */
export interface CheckEntry {
  kind: CheckKind;
  id: string;
  title: string;
  meta: unknown;
  skip: boolean;
  settings: Record<string, unknown>;
  tests: CheckTest[];
  /** The directory of the file it came from: relative paths resolve from there. */
  dir: string;
  /** file:line:col of the entry, for messages. */
  at: string;
}

export interface GossfileOptions {
  vars: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Text for "-" (standard input). */
  stdin?: () => string;
  /** Whether ids are checked (a URL, an address); `validate` of a templated file without vars skips it. */
  checkIds?: boolean;
}

const COMMON = ["title", "meta", "skip"];
const MAX_INCLUDE_DEPTH = 20;

function settingOk(type: SettingType, v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    case "strings":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "any":
      return true;
  }
}

/** The functions Goss adds to its templates that touch the system: the environment and files. */
function templateFuncs(env: NodeJS.ProcessEnv, dir: string) {
  return {
    getEnv: (...args: unknown[]) => env[String(args[0])] || (args.length > 1 ? String(args[1]) : ""),
    // Sprig's.
    sha1sum: (s: unknown) => createHash("sha1").update(String(s)).digest("hex"),
    sha256sum: (s: unknown) => createHash("sha256").update(String(s)).digest("hex"),
    env: (name: unknown) => env[String(name)] ?? "",
    expandenv: (s: unknown) =>
      String(s).replace(/\$(?:\{(\w+)\}|(\w+))/g, (_m, a?: string, b?: string) => env[a ?? b ?? ""] ?? ""),
    readFile: (path: unknown) =>
      readFileSync(isAbsolute(String(path)) ? String(path) : resolve(dir, String(path)), "utf8").trim(),
  };
}

/** A small glob for `gossfile:` includes: `*`, `?` and `[...]` in the file name part. */
function expandGlob(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  if (/[*?[]/.test(dir)) throw new Error(`${pattern}: a pattern may only be in the file name`);
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}

class GossfileReader {
  readonly diagnostics: Diagnostic[] = [];
  /** Keyed by type and id: a later definition replaces an earlier one, as in Goss. */
  readonly entries = new Map<string, CheckEntry>();

  constructor(private readonly opts: GossfileOptions) {}

  read(file: string, depth: number, skipAll: boolean, seen: ReadonlySet<string>): void {
    const path = file === "-" ? "-" : resolve(file);
    if (seen.has(path)) {
      this.diagnostics.push(fileDiagnostic(file, "includes itself (a gossfile cycle)"));
      return;
    }
    let text: string;
    try {
      text = file === "-" ? (this.opts.stdin?.() ?? "") : readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.diagnostics.push(
        fileDiagnostic(
          file,
          `cannot read: ${code === "ENOENT" ? "no such file" : (err as Error).message} (expected a Gossfile)`,
        ),
      );
      return;
    }
    const dir = file === "-" ? process.cwd() : dirname(path);
    try {
      text = renderGoTemplate(
        text,
        { Env: { ...this.opts.env }, Vars: this.opts.vars },
        templateFuncs(this.opts.env, dir),
      );
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      this.diagnostics.push({
        file,
        line: err.line,
        col: 1,
        path: "",
        message: err.message,
        severity: "error",
      });
      return;
    }
    const parsed = parseSource(file, text, { uniqueKeys: false, merge: true });
    this.diagnostics.push(...parsed.diagnostics);
    const doc = parsed.docs[0];
    // An empty file adds no tests; only a total of none is an error (loadGossfiles).
    if (!doc) return;
    if (!isRecord(doc.value)) {
      this.diagnostics.push(
        diagnosticAt(doc, [], "expected a mapping of resource types (file:, port:, command:, ...)"),
      );
      return;
    }
    const inner = new Set(seen).add(path);
    for (const [type, entries] of Object.entries(doc.value)) {
      if (type === "gossfile") {
        this.includes(doc, entries, dir, depth, skipAll, inner);
        continue;
      }
      const kind = CHECK_KINDS.get(type);
      if (!kind) {
        const reason = Object.hasOwn(UNSUPPORTED_TYPES, type) ? UNSUPPORTED_TYPES[type] : undefined;
        const hint = suggest(type, [...CHECK_KINDS.keys(), "gossfile"]);
        this.diagnostics.push(
          diagnosticAt(
            doc,
            [type],
            reason
              ? `the Goss resource type ${type} is not supported by withstand: ${reason}`
              : `unknown resource type ${type} (${hint ? `did you mean ${hint}?` : `expected one of ${[...CHECK_KINDS.keys(), "gossfile"].join(", ")}`})`,
            "error",
            true,
          ),
        );
        continue;
      }
      if (entries === null) continue;
      if (!isRecord(entries)) {
        this.diagnostics.push(diagnosticAt(doc, [type], `expected a mapping of ${type} entries by id`));
        continue;
      }
      for (const [id, attrs] of Object.entries(entries)) this.entry(doc, kind, id, attrs, dir, skipAll);
    }
  }

  private includes(
    doc: SourceDoc,
    value: unknown,
    dir: string,
    depth: number,
    skipAll: boolean,
    seen: ReadonlySet<string>,
  ): void {
    if (value === null) return;
    if (!isRecord(value)) {
      this.diagnostics.push(diagnosticAt(doc, ["gossfile"], "expected a mapping of Gossfile paths"));
      return;
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
      this.diagnostics.push(
        diagnosticAt(doc, ["gossfile"], `includes nest deeper than ${MAX_INCLUDE_DEPTH} files`),
      );
      return;
    }
    // Goss merges includes in the sorted order of their keys (store.go mergeJSONData).
    for (const pattern of Object.keys(value).sort()) {
      const attrs = value[pattern];
      const a = isRecord(attrs) ? attrs : {};
      for (const key of Object.keys(a))
        if (!["file", "skip", "title", "meta"].includes(key))
          this.diagnostics.push(
            diagnosticAt(
              doc,
              ["gossfile", pattern, key],
              "unknown attribute (expected file or skip)",
              "error",
              true,
            ),
          );
      // A skipped include is not read at all, as Goss skips it: its file need not even exist.
      if (a.skip === true) continue;
      const target = typeof a.file === "string" ? a.file : pattern;
      const full = isAbsolute(target) ? target : resolve(dir, target);
      let files: string[];
      try {
        files = expandGlob(full);
      } catch (err) {
        this.diagnostics.push(
          diagnosticAt(doc, ["gossfile", pattern], (err as Error).message, "error", true),
        );
        continue;
      }
      if (files.length === 0) {
        this.diagnostics.push(
          diagnosticAt(doc, ["gossfile", pattern], `no matched files were found: ${full}`, "error", true),
        );
        continue;
      }
      for (const f of files) this.read(f, depth + 1, skipAll, seen);
    }
  }

  private entry(
    doc: SourceDoc,
    kind: CheckKind,
    id: string,
    raw: unknown,
    dir: string,
    skipAll: boolean,
  ): void {
    const path = [kind.type, id];
    const attrs = raw === null ? {} : raw;
    if (!isRecord(attrs)) {
      this.diagnostics.push(
        diagnosticAt(doc, path, `expected the attributes of ${kind.type} ${id} as a mapping`),
      );
      return;
    }
    const byName = new Map<string, string>();
    for (const p of kind.properties) {
      byName.set(p.name, p.name);
      for (const a of p.aliases ?? []) byName.set(a, p.name);
    }
    const known = [...COMMON, ...Object.keys(kind.settings), ...byName.keys()];
    const required = kind.allOptional ? "" : (kind.properties[0]?.name ?? "");
    let ok = true;
    const settings: Record<string, unknown> = {};
    const tests: CheckTest[] = [];
    for (const [key, value] of Object.entries(attrs)) {
      if (COMMON.includes(key)) continue;
      const setting = Object.hasOwn(kind.settings, key) ? kind.settings[key] : undefined;
      if (setting) {
        if (!settingOk(setting, value)) {
          this.diagnostics.push(
            diagnosticAt(
              doc,
              [...path, key],
              `expected ${setting === "strings" ? "a list of strings" : `a ${setting}`}`,
            ),
          );
          ok = false;
        } else settings[key] = value;
        continue;
      }
      const property = byName.get(key);
      if (!property) {
        const hint = suggest(key, known);
        this.diagnostics.push(
          diagnosticAt(
            doc,
            [...path, key],
            `unknown ${kind.type} attribute ${key} (${hint ? `did you mean ${hint}?` : `expected one of ${known.join(", ")}`})`,
            "error",
            true,
          ),
        );
        ok = false;
        continue;
      }
      const spec = kind.properties.find((p) => p.name === property);
      // Goss's isSet: an empty property (`stdout:`) is no test, and neither is an empty list of
      // patterns (`contents: []`, which `goss add` writes), which Goss warns about.
      if (value === null && property !== required) continue;
      if (
        Array.isArray(value) &&
        value.length === 0 &&
        (spec?.stream === true || spec?.unsetWhenEmpty === true)
      ) {
        this.diagnostics.push(
          diagnosticAt(
            doc,
            [...path, key],
            `is an empty list, which asserts nothing and always passes (use "" to assert empty content, or remove it)`,
            "warning",
            true,
          ),
        );
        continue;
      }
      try {
        tests.push({ property, expected: value, matcher: compileAttribute(value, spec?.stream === true) });
      } catch (err) {
        if (!(err instanceof MatcherSyntaxError)) throw err;
        this.diagnostics.push(diagnosticAt(doc, [...path, key], err.message));
        ok = false;
      }
    }
    const problems = [
      ...(required === "" || [...byName].some(([k, v]) => v === required && k in attrs)
        ? []
        : [`missing required attribute ${required}`]),
      ...(kind.requires && !(kind.requires in settings)
        ? [`missing required attribute ${kind.requires}`]
        : []),
      ...(kind.checkId && this.opts.checkIds !== false
        ? [kind.checkId(id, settings)].filter((x): x is string => x !== undefined)
        : []),
    ];
    for (const p of problems) this.diagnostics.push(diagnosticAt(doc, path, p, "error", true));
    if (!ok || problems.length > 0) return;
    const order = (p: string) => kind.properties.findIndex((x) => x.name === p);
    tests.sort((a, b) => order(a.property) - order(b.property));
    const { line, col } = positionOf(doc, path, true);
    this.entries.set(`${kind.type}\u0000${id}`, {
      kind,
      id,
      title: typeof attrs.title === "string" ? attrs.title : "",
      meta: attrs.meta ?? null,
      skip: skipAll || attrs.skip === true,
      settings,
      tests,
      dir,
      at: `${doc.file}:${line}:${col}`,
    });
  }
}

/** Reads Gossfiles (templates, includes) into entries; every problem is a diagnostic at its file:line:col. */
export function loadGossfiles(
  files: readonly string[],
  opts: GossfileOptions,
): { entries: CheckEntry[]; diagnostics: Diagnostic[] } {
  const reader = new GossfileReader(opts);
  for (const f of files) reader.read(f, 0, false, new Set());
  const entries = [...reader.entries.values()];
  // Goss fails only when nothing at all is left to test (validate.go: "found 0 tests").
  if (entries.length === 0 && !reader.diagnostics.some((d) => d.severity === "error"))
    reader.diagnostics.push(
      fileDiagnostic(
        files.join(", "),
        "found 0 tests (expected resource types such as file:, port:, command:, or an include that has some)",
      ),
    );
  return { entries, diagnostics: reader.diagnostics };
}

/** `--vars FILE` and `--vars-inline TEXT` (YAML or JSON); inline values replace the file's. */
export function readVars(file: string | undefined, inline: string | undefined): Record<string, unknown> {
  const parse = (text: string, what: string): Record<string, unknown> => {
    const v = parseYaml(text, { logLevel: "error", merge: true }) as unknown;
    if (v === null || v === undefined) return {};
    if (!isRecord(v)) throw new Error(`${what}: expected a mapping of variables`);
    return v;
  };
  return {
    ...(file ? parse(readFileSync(file, "utf8"), file) : {}),
    ...(inline ? parse(inline, "--vars-inline") : {}),
  };
}

/**
 * A file's top level, read only to tell what kind of file it is: Go template actions are blanked first,
 * so a templated Gossfile still parses; undefined when it does not.
 */
export function sniffTop(text: string): unknown {
  // The parser takes quadratic time on deep unclosed collections (1 MB of `[` took 22 s): such text is
  // no Gossfile, and the document reader refuses it with its position.
  if (Buffer.byteLength(text, "utf8") > maxDocumentBytes() || checkDepth("", text)) return undefined;
  try {
    const { docs, stoppedEarly } = composeBounded(text.replace(/\{\{[^}]*\}\}/g, "x"), {
      prettyErrors: false,
      uniqueKeys: false,
      logLevel: "error",
    });
    const doc = docs[0];
    if (stoppedEarly || !doc || doc.errors.length > 0) return undefined;
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Whether a file's text is a Gossfile, told as `check -g` reads it: when its raw text is not YAML (a
 * `{{- range ...}}` line at column 0, as in Goss's own docs/goss.yaml), its templates are rendered with
 * the same vars and environment first; a template that does not render is told by its other lines.
 */
export function isGossfileText(
  text: string,
  file: string,
  opts: Pick<GossfileOptions, "vars" | "env">,
): boolean {
  const top = sniffTop(text);
  if (looksLikeGossfile(top)) return true;
  // Only text that is not YAML with its actions blanked is rendered: a document that parses (an Argo
  // template's `{{args.x}}`, Sloth's `{{.window}}`) is told by its top level as it is.
  if (top !== undefined || !text.includes("{{")) return false;
  const dir = file === "-" ? process.cwd() : dirname(resolve(file));
  try {
    const rendered = renderGoTemplate(
      text,
      { Env: { ...opts.env }, Vars: opts.vars },
      templateFuncs(opts.env, dir),
    );
    if (looksLikeGossfile(sniffTop(rendered))) return true;
  } catch {
    // Told below from the lines around its actions; `check` reports the template's error itself.
  }
  return looksLikeGossfile(sniffTop(text.replace(/^[ \t]*\{\{[^}]*\}\}[ \t]*$/gm, "")));
}

/** Top-level keys that are Goss resource types, and none of a withstand or Chaos Toolkit document's. */
export function looksLikeGossfile(top: unknown): boolean {
  if (!isRecord(top)) return false;
  // Sloth's own spec has a top-level `service:` too (a name, not Goss's service checks).
  if (isSlothSpec(top)) return false;
  const keys = Object.keys(top);
  const goss = new Set([...CHECK_KINDS.keys(), ...Object.keys(UNSUPPORTED_TYPES), "gossfile"]);
  // A misspelt type among known ones is still a Gossfile, reported at its key.
  const native = ["apiVersion", "kind", "title", "method", "steady-state-hypothesis"];
  return keys.some((k) => goss.has(k)) && !keys.some((k) => native.includes(k));
}
