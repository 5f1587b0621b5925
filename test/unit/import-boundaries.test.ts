/**
 * The import-boundary table (Playwright's DEPS.list, for every folder of src/): what each folder may
 * import, checked on every import and export of every file, type-only ones included. No folder or
 * file cycle is allowed. A new folder must be added here, with the reason it needs what it imports.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { it } from "node:test";
import ts from "typescript";
import { ROOT } from "../helpers/paths.js";

const SRC = join(ROOT, "src");

/** Folder → the folders it may import ("." is src/index.ts, the library's entry point). */
const ALLOWED: Record<string, readonly string[]> = {
  // Pure domain logic and the interfaces the engine drives (types only): nothing else.
  core: [],
  platform: ["core"],
  // A generator in a group reads the other members' windows from the shared store (load/group.ts).
  load: ["core", "store"],
  // A process provider on a clock opens it in the state directory (safety/clocks).
  probes: ["core", "safety"],
  safety: ["core", "platform"],
  store: ["core", "platform"],
  // Reports read each run kind's view (checks) through the run kind registry.
  report: ["core", "engine", "runs", "store"],
  proxy: ["core", "safety"],
  demo: ["dns", "platform", "proxy", "safety"],
  // withstand's DNS server with toxics, and its HTTP API.
  dns: ["core", "safety"],
  faults: ["core", "platform", "proxy"],
  documents: ["core", "faults", "flags", "probes", "safety"],
  // Feature flags (flagd definitions, the OFREP server, its audit log in the store).
  flags: ["core", "safety", "store"],
  // The Pact verifier: pact files are read with the documents layer's positions.
  pact: ["core", "documents"],
  // Metric providers (Argo's metricproviders/): withstand windows, Prometheus, the router, pact (a
  // version verified against its consumers' pacts; pact files are read with the documents layer).
  metrics: ["core", "documents", "pact"],
  slo: ["core", "documents", "metrics"],
  rollout: ["core", "metrics", "platform", "proxy", "safety"],
  // The engine gives probe kinds the Goss and synthetic runners (engine/probe-services.ts).
  engine: [
    "checks",
    "core",
    "documents",
    "faults",
    "load",
    // the anomaly judge (a tolerance, a stop condition) reads Prometheus through metrics/
    "metrics",
    "pact",
    "probes",
    "safety",
    "slo",
    "store",
  ],
  // Run kinds (engine/run-kind.ts) and their registry: each wraps the folder that executes it.
  runs: ["checks", "core", "documents", "engine", "load", "pact", "rollout", "services", "store"],
  // Run-scoped services (engine/service.ts) and their registry: fault proxies, the DNS server.
  services: ["core", "dns", "documents", "engine", "faults", "platform", "proxy", "safety"],
  // The monitor's health endpoints serve the checks' cached state; the note box hands notes to a game
  // day's runner through its inbox (engine/notes.ts).
  server: [
    "checks",
    "core",
    "documents",
    "engine",
    "metrics",
    "proxy",
    "report",
    "rollout",
    "safety",
    "slo",
    "store",
  ],
  // Goss resource types (checks/resources) observe the system (/proc through platform); Gossfiles are read with the documents layer's positions.
  checks: ["core", "documents", "platform"],
  // The thin CLI wires everything; nothing imports it.
  cli: [
    "checks",
    "core",
    "demo",
    "dns",
    "documents",
    "engine",
    "faults",
    "flags",
    "load",
    "metrics",
    "pact",
    // git's commit times for DORA's lead time (platform/git.ts)
    "platform",
    "proxy",
    "report",
    "rollout",
    "runs",
    "safety",
    "server",
    "services",
    "slo",
    "store",
  ],
  ".": ["core", "documents", "engine", "faults", "load", "rollout", "runs", "safety", "services", "store"],
};

/** Packages core may use: side-effect free (kubernetes-types: type declarations only). */
const CORE_PACKAGES = new Set(["hdr-histogram-js", "jsonpath-plus", "kubernetes-types", "re2js", "zod"]);

/**
 * The dashboard (web/src) is built apart by Vite: it may import its own files, Preact and uPlot, and
 * only the TYPES of withstand's JSON API from these folders of src/ (nothing of src/ runs in a browser).
 */
const WEB_PACKAGES = new Set(["preact", "uplot"]);
const WEB_TYPES_FROM: readonly string[] = ["core", "store"];
/** Vite's config (web/vite.config.ts) runs in Node at build time. */
const WEB_CONFIG_PACKAGES = new Set(["node:url", "vite"]);

/**
 * What validating a document may load: documents/ reads files and checks them against the kinds'
 * schemas, so nothing it loads (at import time, transitively) may be execution code: no fault or probe
 * that acts, no proxy, DNS or process machinery. These are the only files outside documents/ and core/
 * that its runtime imports may reach.
 */
const DOCUMENTS_MAY_LOAD: readonly string[] = [
  // Each fault kind's schema, apart from its execution (faults/<kind>.ts), and the helpers they share.
  "faults/schema.ts",
  "faults/schemas/clock-skew.ts",
  "faults/schemas/cpu-stress.ts",
  "faults/schemas/disk-fill.ts",
  "faults/schemas/dns.ts",
  "faults/schemas/flag.ts",
  "faults/schemas/http-fault.ts",
  "faults/schemas/index.ts",
  "faults/schemas/lab-net.ts",
  "faults/schemas/memory-stress.ts",
  "faults/schemas/network.ts",
  "faults/schemas/process-kill.ts",
  "faults/schemas/process-pause.ts",
  "faults/schemas/process-selection.ts",
  "faults/toxic-schema.ts",
  // flagd flag files are checked with OpenFeature's own flagd evaluator (its JsonLogic compiler).
  "flags/schema.ts",
  // Probe kinds read their providers; each loads its executor (HTTP client, processes) when it first runs.
  "probes/check-kinds.ts",
  "probes/health-kind.ts",
  "probes/http-kind.ts",
  "probes/index.ts",
  "probes/pact-kind.ts",
  "probes/process-kind.ts",
  // isLoopbackHost: a LoadTest's targets are checked while validating (node:crypto, nothing else).
  "safety/policy.ts",
];

interface Import {
  spec: string;
  /** The file it names, for a relative import (".js" read as the ".ts" source). */
  target?: string;
  /** `import type`, `export type`, or every named binding type-only: erased at compile time. */
  typeOnly: boolean;
  /** `import("...")`: loaded when the code runs, not when the module loads. */
  dynamic: boolean;
  line: number;
}

function files(dir: string, ext = /\.ts$/): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : ext.test(path) ? [path] : [];
  });
}

const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes("/") ? (rel.split("/")[0] ?? ".") : ".";
};

const allTypeOnly = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) =>
  elements.length > 0 && elements.every((e) => e.isTypeOnly);

/**
 * Every import of a file, read by the TypeScript parser (never a regex): static imports and
 * re-exports, `import x = require()`, `import("...")` calls and `import("...").T` types. A dynamic
 * import whose specifier is not a string literal cannot be checked, so it is reported as broken.
 */
const parsed = new Map<string, Import[]>();
function imports(file: string): Import[] {
  const known = parsed.get(file);
  if (known) return known;
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out: Import[] = [];
  const add = (node: ts.Node, specNode: ts.Expression | undefined, typeOnly: boolean, dynamic: boolean) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    if (!specNode || !ts.isStringLiteralLike(specNode)) {
      out.push({ spec: `<computed specifier at line ${line}>`, typeOnly, dynamic, line });
      return;
    }
    const spec = specNode.text;
    out.push(
      spec.startsWith(".")
        ? {
            spec,
            target: normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"),
            typeOnly,
            dynamic,
            line,
          }
        : { spec, typeOnly, dynamic, line },
    );
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            allTypeOnly(named.elements)));
      add(node, node.moduleSpecifier, typeOnly, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          allTypeOnly(node.exportClause.elements));
      add(node, node.moduleSpecifier, typeOnly, false);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  parsed.set(file, out);
  return out;
}

const packageOf = (spec: string) =>
  spec
    .split("/")
    .slice(0, spec.startsWith("@") ? 2 : 1)
    .join("/");

const all = files(SRC);

it("every folder imports only what the table allows, and every allowance is used", () => {
  const broken: string[] = [];
  const used = new Set<string>();
  for (const file of all) {
    const from = folderOf(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${from} is not in the import-boundary table`);
    for (const { spec, target, line } of imports(file)) {
      const where = `${relative(ROOT, file)}:${line}`;
      if (spec.startsWith("<computed")) {
        broken.push(`${where}: a dynamic import with a computed specifier cannot be checked`);
        continue;
      }
      if (!target) {
        if (from === "core" && (spec.startsWith("node:") || !CORE_PACKAGES.has(packageOf(spec))))
          broken.push(`${where} imports ${spec}`);
        if (from === "core") used.add(`core package ${packageOf(spec)}`);
        continue;
      }
      const to = folderOf(target);
      if (to === from) continue;
      used.add(`${from} -> ${to}`);
      if (!allowed.includes(to)) broken.push(`${where} imports src/${to} (${spec})`);
    }
  }
  assert.deepEqual(broken, []);
  // A table that only grows says nothing: an allowance no import uses is removed.
  const stale = [
    ...Object.entries(ALLOWED).flatMap(([from, tos]) =>
      tos.filter((to) => !used.has(`${from} -> ${to}`)).map((to) => `${from} -> ${to}`),
    ),
    ...[...CORE_PACKAGES].filter((p) => !used.has(`core package ${p}`)).map((p) => `core package ${p}`),
  ];
  assert.deepEqual(stale, [], "allowances in the table that no import uses: remove them");
});

it("the dashboard (web/) imports its own files, Preact, uPlot and only types from src/", () => {
  const WEB = join(ROOT, "web");
  const broken: string[] = [];
  const usedPackages = new Set<string>();
  const usedTypes = new Set<string>();
  for (const file of files(join(WEB, "src"), /\.tsx?$/)) {
    for (const { spec, target, typeOnly, line } of imports(file)) {
      const where = `${relative(ROOT, file)}:${line}`;
      if (!target) {
        if (WEB_PACKAGES.has(packageOf(spec))) usedPackages.add(packageOf(spec));
        else broken.push(`${where} imports the package ${spec}`);
        continue;
      }
      if (!relative(join(WEB, "src"), target).startsWith("..")) continue;
      const inSrc = relative(SRC, target);
      if (inSrc.startsWith("..")) {
        broken.push(`${where} imports ${spec}, outside web/src and src/`);
        continue;
      }
      const folder = folderOf(target);
      if (!typeOnly) broken.push(`${where} imports src/${inSrc} at run time (only types may come from src/)`);
      else if (!WEB_TYPES_FROM.includes(folder)) broken.push(`${where} imports types from src/${folder}`);
      else usedTypes.add(folder);
    }
  }
  for (const { spec, target, line } of imports(join(WEB, "vite.config.ts")))
    if (target || !WEB_CONFIG_PACKAGES.has(spec)) broken.push(`web/vite.config.ts:${line} imports ${spec}`);
  assert.deepEqual(broken, []);
  assert.deepEqual(
    [
      ...[...WEB_PACKAGES].filter((p) => !usedPackages.has(p)),
      ...WEB_TYPES_FROM.filter((f) => !usedTypes.has(f)),
    ],
    [],
    "allowances for web/ that no import uses: remove them",
  );
});

it("validating a document loads no execution code: documents/ reaches only documents/, core/ and its schemas", () => {
  const reached = new Map<string, string>();
  const queue: [string, string][] = files(join(SRC, "documents")).map((f) => [f, "(start)"]);
  while (queue.length > 0) {
    const [file, from] = queue.shift() as [string, string];
    if (reached.has(file)) continue;
    reached.set(file, from);
    // What loads with the module: static imports that are not erased types. An import() inside a
    // function (a probe's executor) loads when that function runs, never while validating.
    for (const i of imports(file)) if (i.target && !i.typeOnly && !i.dynamic) queue.push([i.target, file]);
  }
  const outside = [...reached]
    .map(([file, from]) => [relative(SRC, file), relative(SRC, from)] as const)
    .filter(([file]) => !file.startsWith("documents/") && !file.startsWith("core/"));
  const unexpected = outside.filter(([file]) => !DOCUMENTS_MAY_LOAD.includes(file));
  assert.deepEqual(
    unexpected.map(([file, from]) => `${file} (loaded by ${from})`),
    [],
  );
  assert.deepEqual(
    DOCUMENTS_MAY_LOAD.filter((f) => !outside.some(([file]) => file === f)),
    [],
    "DOCUMENTS_MAY_LOAD entries nothing loads: remove them",
  );
});

it("there is no cycle between files", () => {
  const graph = new Map(all.map((f) => [f, imports(f).flatMap((i) => (i.target ? [i.target] : []))]));
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "visiting") {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(" -> "));
      return;
    }
    state.set(f, "visiting");
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, "done");
  };
  for (const f of all) visit(f, []);
  assert.deepEqual(cycles, []);
});

it("the table itself has no cycle between folders", () => {
  const seen = new Set<string>();
  const walk = (folder: string, path: string[]): void => {
    assert.ok(!path.includes(folder), `folder cycle: ${[...path, folder].join(" -> ")}`);
    if (seen.has(folder)) return;
    for (const next of ALLOWED[folder] ?? []) walk(next, [...path, folder]);
    seen.add(folder);
  };
  for (const folder of Object.keys(ALLOWED)) if (folder !== "." && folder !== "cli") walk(folder, []);
});
