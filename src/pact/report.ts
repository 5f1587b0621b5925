import type { InteractionResult } from "./verify.js";
import { verdictOf } from "./verify.js";

/** Pact's verifier output: per pact, each interaction with what it checked, then the failures numbered. */
export function textReport(
  results: readonly InteractionResult[],
  colour: (s: string, ok: boolean) => string,
): string {
  const lines: string[] = [];
  let pact = "";
  const failures: InteractionResult[] = [];
  for (const r of results) {
    const head = `Verifying a pact between ${r.consumer} and ${r.provider} (pact specification ${r.specification}, ${r.source})`;
    if (head !== pact) {
      if (pact) lines.push("");
      lines.push(head);
      pact = head;
    }
    lines.push(`  ${r.description} (${Math.round(r.durationMs)}ms verification)`);
    for (const s of r.states) lines.push(`     Given ${s}`);
    if (r.status === "not-http") {
      lines.push(`    ${colour("SKIPPED", true)}: ${r.error ?? ""}`);
      continue;
    }
    const by = (t: string) => r.mismatches.filter((m) => m.type === t);
    lines.push(`    ${r.request.method} ${r.request.url}`);
    if (r.error) {
      lines.push(`    ${colour(r.status === "pending" ? "FAILED (pending)" : "ERROR", false)}: ${r.error}`);
      failures.push(r);
      continue;
    }
    lines.push("    returns a response which");
    lines.push(
      `      has status code (${colour(by("status").length ? "FAILED" : "OK", !by("status").length)})`,
    );
    lines.push(
      `      includes headers (${colour(by("header").length ? "FAILED" : "OK", !by("header").length)})`,
    );
    lines.push(
      `      has a matching body (${colour(by("body").length ? "FAILED" : "OK", !by("body").length)})`,
    );
    if (r.mismatches.length > 0) failures.push(r);
  }
  const v = verdictOf(results);
  if (failures.length > 0) {
    lines.push("", "Failures:", "");
    failures.forEach((r, n) => {
      const given = r.states.length ? ` Given ${r.states.join(", ")}` : "";
      lines.push(
        `${n + 1}) Verifying a pact between ${r.consumer} and ${r.provider}${given} - ${r.description}${r.status === "pending" ? " [pending]" : ""}`,
      );
      if (r.error) lines.push(`    ${n + 1}.1) ${r.error}`);
      r.mismatches.forEach((m, k) => {
        const what =
          m.type === "status"
            ? "has status code"
            : m.type === "header"
              ? `includes header '${m.path}'`
              : "has a matching body";
        lines.push(`    ${n + 1}.${k + 1}) ${what}`);
        lines.push(`           ${m.type === "body" ? `${m.path} -> ` : ""}${m.mismatch}`);
      });
      lines.push("");
    });
  }
  lines.push(
    `${results.length} interaction${results.length === 1 ? "" : "s"}: ${v.verified} verified, ${v.failed} failed${v.pending ? `, ${v.pending} pending` : ""}${v.skipped ? `, ${v.skipped} not HTTP (skipped)` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
