import { newWindow, recordSample, type StoredWindow, taggedWindow, toStored } from "../core/window.js";
import type { SyntheticResult } from "./synthetic-run.js";

/** The series a synthetic's windows are stored under: an OpenSLO SLI reads it as a `withstand` source. */
export const syntheticSeries = (name: string) => `synthetic:${name}`;

/**
 * A synthetic run as a window: one sample for the run (an error when it failed, its duration as
 * latency), and per step a tagged sub-window, so SLOs on success rate and latency work as on load.
 */
export function syntheticWindow(result: SyntheticResult): StoredWindow {
  const start = Date.parse(result.startedAt);
  const w = newWindow(start, { synthetic: result.name });
  w.end = start + Math.max(1, result.durationMs);
  recordSample(w, {
    latencyMicros: Math.round(result.durationMs * 1000),
    ...(result.ok ? {} : { errorClass: "failed" }),
  });
  for (const s of result.steps) {
    if (s.status === "skipped") continue;
    const sub = taggedWindow(w, `step:${s.name}`);
    recordSample(sub, {
      latencyMicros: Math.round(s.responseTimeMs * 1000),
      ...(s.response ? { status: s.response.status } : {}),
      ...(s.status === "failed" ? { errorClass: s.networkError ? "network" : "assertion" } : {}),
    });
  }
  return toStored(w);
}

/** The captured requests and responses of a passing run, as Markdown documentation. */
export function examplesMarkdown(result: SyntheticResult): string {
  const lines = [`# ${result.name}`, "", `Captured from a passing run at ${result.startedAt}.`, ""];
  for (const s of result.steps) {
    if (!s.request) continue;
    lines.push(`## ${s.name}`, "", "```http", `${s.request.method} ${s.request.url}`);
    for (const [k, v] of Object.entries(s.request.headers)) lines.push(`${k}: ${v}`);
    if (s.request.body !== undefined) lines.push("", s.request.body);
    lines.push("```", "");
    if (s.response) {
      lines.push(
        `Response (${Math.round(s.responseTimeMs)} ms):`,
        "",
        "```http",
        `HTTP/1.1 ${s.response.status}`,
      );
      for (const [k, v] of Object.entries(s.response.headers)) lines.push(`${k}: ${v}`);
      lines.push("", s.response.body, "```", "");
    }
  }
  return `${lines.join("\n")}\n`;
}
