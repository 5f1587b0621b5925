/**
 * The contract every provider (probe) kind passes (probes/<kind>.ts, registered in probes/index.ts):
 * a misspelt field is reported at its position with a did-you-mean (a warning in a Chaos Toolkit
 * file, as Chaos Toolkit ignores it); a dry run describes without running; it runs against a real
 * target; `succeeded` tells a success from a failure; pooled resources close. A registered kind
 * without a harness here fails the suite.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { loadExperimentText } from "../../src/documents/experiment-file.js";
import { probeServices } from "../../src/engine/probe-services.js";
import { PROBE_KINDS } from "../../src/probes/index.js";
import { json, startServer } from "../helpers/http-server.js";

let server: Awaited<ReturnType<typeof startServer>>;
// An FT health page whose only failing check is severity 2: a severity-1 probe holds, a severity-2 one fails.
const FT_HEALTH = {
  schemaVersion: 1,
  systemCode: "t",
  name: "t",
  description: "t",
  ok: false,
  severity: 2,
  checks: [
    {
      id: "db",
      name: "db",
      ok: true,
      severity: 1,
      businessImpact: "",
      technicalSummary: "",
      panicGuide: "",
      checkOutput: "",
      lastUpdated: "2026-01-01T00:00:00Z",
    },
    {
      id: "cache",
      name: "cache",
      ok: false,
      severity: 2,
      businessImpact: "",
      technicalSummary: "",
      panicGuide: "",
      checkOutput: "down",
      lastUpdated: "2026-01-01T00:00:00Z",
    },
  ],
};
before(async () => {
  server = await startServer((req, res) =>
    req.url === "/__health"
      ? json(res, 200, FT_HEALTH)
      : json(res, req.url.startsWith("/bad") ? 503 : 200, { ok: true }),
  );
});
const dir = mkdtempSync(join(tmpdir(), "withstand-probe-"));
const services = probeServices(dir);
function gossfile(name: string, text: string): string {
  writeFileSync(join(dir, `${name}.goss.yaml`), text);
  return `${name}.goss.yaml`;
}
function syntheticFile(name: string, url: string): string {
  writeFileSync(
    join(dir, `${name}.synthetic.yaml`),
    `apiVersion: withstand/v1\nkind: Synthetic\nmetadata: {name: ${name}}\nspec:\n  steps:\n    - name: get\n      request: {url: "${url}"}\n      conditions: ["[STATUS] == 200"]\n`,
  );
  return `${name}.synthetic.yaml`;
}
function pactFile(name: string, path: string): string {
  const pact = {
    consumer: { name: "c" },
    provider: { name: "p" },
    metadata: { pactSpecification: { version: "3.0.0" } },
    interactions: [
      { description: name, request: { method: "GET", path }, response: { status: 200, body: { ok: true } } },
    ],
  };
  writeFileSync(join(dir, `${name}.pact.json`), JSON.stringify(pact));
  return `${name}.pact.json`;
}
after(() => server.close());

interface Harness {
  ok: () => Record<string, unknown>;
  failing: () => Record<string, unknown>;
  misspelt: { provider: Record<string, unknown>; key: string; hint: string };
}

const HARNESSES: Record<string, Harness> = {
  http: {
    ok: () => ({ type: "http", url: `${server.url}/health` }),
    failing: () => ({ type: "http", url: `${server.url}/bad` }),
    misspelt: {
      provider: { type: "http", url: "http://127.0.0.1:1/", timout: 3 },
      key: "timout",
      hint: "timeout",
    },
  },
  goss: {
    ok: () => ({ type: "goss", file: gossfile("ok", "file:\n  /etc/passwd:\n    exists: true\n") }),
    failing: () => ({ type: "goss", file: gossfile("bad", "file:\n  /no/such/file:\n    exists: true\n") }),
    misspelt: { provider: { type: "goss", flie: "goss.yaml" }, key: "flie", hint: "file" },
  },
  synthetic: {
    ok: () => ({ type: "synthetic", file: syntheticFile("ok", `${server.url}/health`) }),
    failing: () => ({ type: "synthetic", file: syntheticFile("bad", `${server.url}/bad`) }),
    misspelt: { provider: { type: "synthetic", fille: "s.yaml" }, key: "fille", hint: "file" },
  },
  health: {
    ok: () => ({ type: "health", url: `${server.url}/__health`, severity: 1 }),
    failing: () => ({ type: "health", url: `${server.url}/__health`, severity: 2 }),
    misspelt: {
      provider: { type: "health", url: "http://127.0.0.1:1/", severty: 1 },
      key: "severty",
      hint: "severity",
    },
  },
  pact: {
    ok: () => ({ type: "pact", pact: pactFile("ok", "/health"), provider: server.url }),
    failing: () => ({ type: "pact", pact: pactFile("bad", "/bad"), provider: server.url }),
    misspelt: {
      provider: { type: "pact", pact: "p.json", provder: "http://127.0.0.1:1" },
      key: "provder",
      hint: "provider",
    },
  },
  process: {
    ok: () => ({ type: "process", path: "true" }),
    failing: () => ({ type: "process", path: "false" }),
    misspelt: {
      provider: { type: "process", path: "true", argumnets: ["x"] },
      key: "argumnets",
      hint: "arguments",
    },
  },
};

const experiment = (provider: Record<string, unknown>) =>
  JSON.stringify(
    {
      title: "t",
      description: "d",
      method: [{ type: "probe", name: "p", provider }],
    },
    null,
    2,
  );

it("every registered probe kind has a contract harness", () => {
  assert.deepEqual([...PROBE_KINDS.keys()].sort(), Object.keys(HARNESSES).sort());
});

for (const [type, h] of Object.entries(HARNESSES)) {
  const kind = PROBE_KINDS.get(type);
  describe(`probe kind ${type}`, () => {
    it("reports a misspelt field at its line with a did-you-mean", () => {
      const text = experiment(h.misspelt.provider);
      const lines = loadExperimentText("p.json", text).diagnostics.map(formatDiagnostic);
      const line = text.split("\n").findIndex((l) => l.includes(`"${h.misspelt.key}"`)) + 1;
      assert.ok(
        lines.some(
          (l) =>
            l.startsWith(`p.json:${line}:`) &&
            l.includes(`${h.misspelt.key}: unknown key, ignored (did you mean ${h.misspelt.hint}?)`),
        ),
        lines.join("\n"),
      );
    });

    it("describes a dry run, runs for real, and tells success from failure", async () => {
      assert.ok(kind);
      const parse = (raw: Record<string, unknown>) => {
        const spec = loadExperimentText("p.json", experiment(raw)).spec;
        assert.ok(spec);
        return spec.method[0]?.raw.provider as Record<string, unknown>;
      };
      // The kind's one schema reads what validation accepted.
      const ok = kind.schema.parse(parse(h.ok()));
      const failing = kind.schema.parse(parse(h.failing()));
      assert.match(kind.describe(ok), /^would /);
      const signal = new AbortController().signal;
      assert.equal(kind.succeeded(await kind.execute(ok, signal, services)), true);
      let out: unknown;
      try {
        out = await kind.execute(failing, signal, services);
      } catch {
        out = null;
      }
      assert.equal(kind.succeeded(out), false);
      await kind.close?.();
    });
  });
}
