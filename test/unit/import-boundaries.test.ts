/**
 * The import-boundary table (Playwright's DEPS.list, for every folder of src/): what each folder may
 * import, checked on every import and export of every file, type-only ones included. No folder or
 * file cycle is allowed. A new folder must be added here, with the reason it needs what it imports.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { it } from "node:test";
import { ROOT } from "../helpers/paths.js";

const SRC = join(ROOT, "src");

/** Folder → the folders it may import ("." is src/index.ts, the library's entry point). */
const ALLOWED: Record<string, readonly string[]> = {
  // Pure domain logic and the interfaces the engine drives (types only): nothing else.
  core: [],
  platform: [],
  // A generator in a group reads the other members' windows from the shared store (load/group.ts).
  load: ["core", "store"],
  // A process provider on a clock opens it in the state directory (safety/clocks).
  probes: ["core", "safety"],
  safety: ["core", "platform"],
  store: ["core", "platform"],
  report: ["core", "store"],
  proxy: ["core", "safety"],
  demo: ["dns", "platform", "proxy", "safety"],
  // withstand's DNS server with toxics, and its HTTP API.
  dns: ["core", "safety"],
  faults: ["core", "platform", "proxy"],
  documents: ["core", "faults", "probes", "safety"],
  // The Pact verifier: pact files are read with the documents layer's positions.
  pact: ["core", "documents"],
  // Metric providers (Argo's metricproviders/): withstand windows, Prometheus, the router.
  metrics: ["core"],
  slo: ["core", "documents", "metrics"],
  rollout: ["core", "metrics", "platform", "proxy", "safety", "slo"],
  // The engine gives probe kinds the Goss and synthetic runners (engine/probe-services.ts).
  engine: [
    "checks",
    "core",
    "dns",
    "documents",
    "faults",
    "load",
    "pact",
    "probes",
    "proxy",
    "safety",
    "slo",
    "store",
  ],
  // The monitor's health endpoints serve the checks' cached state.
  server: ["checks", "core", "documents", "metrics", "proxy", "report", "rollout", "safety", "slo", "store"],
  // Goss resource types (checks/resources) observe the system (/proc through platform); Gossfiles are read with the documents layer's positions.
  checks: ["core", "documents", "platform"],
  // The thin CLI wires everything; nothing imports it.
  cli: [
    ".",
    "checks",
    "core",
    "demo",
    "dns",
    "documents",
    "engine",
    "faults",
    "load",
    "metrics",
    "pact",
    "proxy",
    "report",
    "rollout",
    "safety",
    "server",
    "slo",
    "store",
  ],
  ".": ["core", "documents", "engine", "faults", "load", "rollout", "safety", "store"],
};

/** Packages core may use: side-effect free (kubernetes-types: type declarations only). */
const CORE_PACKAGES = new Set(["hdr-histogram-js", "jsonpath-plus", "kubernetes-types", "zod"]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes("/") ? (rel.split("/")[0] ?? ".") : ".";
};

function imports(file: string): { spec: string; target?: string }[] {
  const text = readFileSync(file, "utf8");
  return [
    ...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm),
    ...text.matchAll(/import\("([^"]+)"\)/g),
  ].map((m) => {
    const spec = m[1] ?? "";
    return spec.startsWith(".")
      ? { spec, target: normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts") }
      : { spec };
  });
}

const all = files(SRC);

it("every folder imports only what the table allows", () => {
  const broken: string[] = [];
  for (const file of all) {
    const from = folderOf(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${from} is not in the import-boundary table`);
    for (const { spec, target } of imports(file)) {
      if (!target) {
        const pkg = spec
          .split("/")
          .slice(0, spec.startsWith("@") ? 2 : 1)
          .join("/");
        if (from === "core" && !spec.startsWith("node:") && !CORE_PACKAGES.has(pkg))
          broken.push(`${relative(ROOT, file)} imports ${spec}`);
        if (from === "core" && spec.startsWith("node:"))
          broken.push(`${relative(ROOT, file)} imports ${spec}`);
        continue;
      }
      const to = folderOf(target);
      if (to !== from && !allowed.includes(to))
        broken.push(`${relative(ROOT, file)} imports src/${to} (${spec})`);
    }
  }
  assert.deepEqual(broken, []);
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
