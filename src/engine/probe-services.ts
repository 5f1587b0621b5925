import { dirname, isAbsolute, resolve } from "node:path";
import { loadGossfiles } from "../checks/gossfile.js";
import { summaryLine } from "../checks/outputs.js";
import { FAIL, runChecks, SKIP } from "../checks/run.js";
import { runSynthetic } from "../checks/synthetic-run.js";
import { ActivityFailure } from "../core/errors.js";
import type { ProbeServices } from "../core/probe-kind.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadSyntheticFile } from "../documents/synthetic.js";
import { loadPacts } from "../pact/load.js";
import { verdictOf, verifyPacts } from "../pact/verify.js";

/**
 * The services probe kinds ask for, wired here where checks/ and documents/ may both be imported.
 * Relative paths resolve from the experiment's directory.
 */
export function probeServices(baseDir: string): ProbeServices {
  const path = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  return {
    async runGossfile(file, vars, signal) {
      const loaded = loadGossfiles([path(file)], { vars: { ...vars }, env: process.env });
      if (hasErrors(loaded.diagnostics))
        throw new ActivityFailure(loaded.diagnostics.map(formatDiagnostic).join("\n"));
      const results = await runChecks(loaded.entries, { maxConcurrent: 50, signal });
      const failed = results.filter((r) => r.result === FAIL);
      return {
        ok: failed.length === 0,
        count: results.length,
        failed: failed.length,
        skipped: results.filter((r) => r.result === SKIP).length,
        failures: failed.map((r) => summaryLine(r).replace(/\n/g, " ")),
      };
    },
    async runSynthetic(file, signal) {
      const loaded = await loadSyntheticFile(path(file));
      if (!loaded.spec || hasErrors(loaded.diagnostics))
        throw new ActivityFailure(
          loaded.diagnostics.map(formatDiagnostic).join("\n") || `${file}: not a Synthetic`,
        );
      const r = await runSynthetic(loaded.spec, signal);
      return { ok: r.ok, reason: r.reason, durationMs: r.durationMs, steps: r.steps };
    },
    async verifyPacts(files, providerBaseUrl, filters, signal) {
      const loaded = await loadPacts(
        files.map((f) => (/^https?:/i.test(f) ? f : path(f))),
        signal,
      );
      if (hasErrors(loaded.diagnostics))
        throw new ActivityFailure(loaded.diagnostics.map(formatDiagnostic).join("\n"));
      const results = await verifyPacts(loaded.pacts, {
        providerBaseUrl,
        consumer: filters.consumer,
        states: filters.stateChangeUrl
          ? { kind: "url", url: filters.stateChangeUrl, teardown: false }
          : { kind: "none" },
        signal,
      });
      const v = verdictOf(results);
      return {
        ok: v.ok && results.length > 0,
        verified: v.verified,
        failed: v.failed,
        broken: results
          .filter((r) => r.status === "failed" || r.status === "error")
          .map((r) => ({
            consumer: r.consumer,
            interaction: r.description,
            mismatches: r.error
              ? [r.error]
              : r.mismatches.slice(0, 5).map((m) => `${m.path} ${m.mismatch}`.trim()),
          })),
      };
    },
  };
}

export const dirOf = (source: string) => dirname(resolve(source));
