/**
 * The contract every provider (probe) kind passes (probes/<kind>.ts, registered in probes/index.ts):
 * a misspelt field is reported at its position with a did-you-mean (a warning in a Chaos Toolkit
 * file, as Chaos Toolkit ignores it); a dry run describes without running; it runs against a real
 * target; `succeeded` tells a success from a failure; pooled resources close. A registered kind
 * without a harness here fails the suite.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { loadExperimentText } from "../../src/documents/experiment-file.js";
import { PROBE_KINDS } from "../../src/probes/index.js";
import { json, startServer } from "../helpers/http-server.js";

let server: Awaited<ReturnType<typeof startServer>>;
before(async () => {
  server = await startServer((req, res) => json(res, req.url.startsWith("/bad") ? 503 : 200, { ok: true }));
});
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
      const errors: string[] = [];
      const sink = {
        deferVars: false,
        error: (_p: unknown, m: string) => errors.push(m),
        warn: () => undefined,
      };
      const ok = kind.parse(parse(h.ok()), sink);
      const failing = kind.parse(parse(h.failing()), sink);
      assert.deepEqual(errors, []);
      assert.match(kind.describe(ok), /^would /);
      const signal = new AbortController().signal;
      assert.equal(kind.succeeded(await kind.execute(ok, signal)), true);
      let out: unknown;
      try {
        out = await kind.execute(failing, signal);
      } catch {
        out = null;
      }
      assert.equal(kind.succeeded(out), false);
      await kind.close?.();
    });
  });
}
