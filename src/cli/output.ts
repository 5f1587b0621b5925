import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import type { RunEvent } from "../core/events.js";
import type { Journal } from "../core/journal.js";
import { mdUnescape } from "../core/untrusted.js";

export type OutputMode = "tty" | "plain" | "json" | "quiet";

export function outputMode(opts: { json?: boolean; quiet?: boolean }): OutputMode {
  if (opts.json) return "json";
  if (opts.quiet) return "quiet";
  return process.stdout.isTTY && !process.env.CI ? "tty" : "plain";
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const PHASE_LABEL: Record<string, string> = {
  "hypothesis-before": "before",
  "hypothesis-after": "after",
  "hypothesis-during": "during",
  method: "method",
  rollbacks: "rollback",
};

/** Renders run events: live lines on a TTY, plain lines otherwise, NDJSON with --json, nothing with --quiet. */
export class RunRenderer {
  private readonly active = new Map<string, number>();
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private statusShown = false;
  private readonly write = (s: string) => process.stdout.write(s);

  /** `recorded: false` (a dry run): no run id is shown, since none is stored. */
  constructor(
    private readonly mode: OutputMode,
    private readonly recorded = true,
  ) {
    if (mode === "tty") {
      this.timer = setInterval(() => this.drawStatus(), 100);
      this.timer.unref();
    }
  }

  onEvent = (e: RunEvent): void => {
    // Windows (encoded histograms) are for the store; load-window events summarise them for people.
    if (e.type === "window") return;
    if (this.mode === "json") {
      this.write(`${JSON.stringify(e)}\n`);
      return;
    }
    if (this.mode === "quiet") return;
    const c = this.mode === "tty" ? pc : pc.createColors(false);
    switch (e.type) {
      case "run-started":
        this.line(
          `${c.bold("withstand")} run ${c.dim(this.recorded ? e.runId : "(dry run, not recorded)")}: ${e.title}`,
        );
        break;
      case "activity-started":
        this.active.set(`${e.phase}:${e.name}`, Date.parse(e.ts));
        if (this.mode === "plain" && e.background)
          this.line(`  … ${PHASE_LABEL[e.phase] ?? e.phase} ${e.name} (background)`);
        break;
      case "activity-finished": {
        this.active.delete(`${e.phase}:${e.name}`);
        const ok = e.status === "succeeded" && e.toleranceMet !== false;
        const mark = ok ? c.green("✓") : c.red("✗");
        const label = c.dim((PHASE_LABEL[e.phase] ?? e.phase).padEnd(8));
        const detail = e.detail ? c.dim(` — ${e.detail}`) : "";
        this.line(`  ${mark} ${label} ${e.name} ${c.dim(`(${formatDuration(e.durationMs)})`)}${detail}`);
        break;
      }
      case "hypothesis-checked":
        // A dry run probes nothing: it must not say the steady state was met.
        if (!this.recorded)
          this.line(`  ${c.dim("○")} steady state not probed ${c.dim(`(${PHASE_LABEL[e.phase]}, dry run)`)}`);
        else if (e.phase !== "hypothesis-during" || !e.met)
          this.line(
            `  ${e.met ? c.green("●") : c.red("●")} steady state ${e.met ? "met" : "NOT met"} ${c.dim(`(${PHASE_LABEL[e.phase]})`)}`,
          );
        break;
      case "fault-injected":
        this.line(`  ${c.yellow("⚡")} fault ${e.kind} injected by ${e.activity}: ${e.targets.join("; ")}`);
        break;
      case "fault-reverted":
        this.line(`  ${c.cyan("↺")} fault ${e.kind} reverted: ${e.how}`);
        break;
      case "warning":
        this.line(`  ${c.yellow("warning:")} ${e.message}`);
        break;
      case "load-window":
        break;
      case "run-finished":
        if (this.timer) clearInterval(this.timer);
        this.clearStatus();
        break;
    }
  };

  private line(text: string): void {
    this.clearStatus();
    this.write(`${text}\n`);
    this.drawStatus();
  }

  private clearStatus(): void {
    if (this.mode === "tty" && this.statusShown) {
      this.write("\r\x1b[K");
      this.statusShown = false;
    }
  }

  private drawStatus(): void {
    if (this.mode !== "tty" || this.active.size === 0) return;
    this.frame = (this.frame + 1) % SPINNER.length;
    const now = Date.now();
    const parts = [...this.active].map(
      ([key, start]) => `${key.split(":").slice(1).join(":")} ${formatDuration(now - start)}`,
    );
    this.write(`\r\x1b[K${pc.cyan(SPINNER[this.frame] ?? "")} ${parts.join(pc.dim(" · "))}`);
    this.statusShown = true;
  }
}

export function verdictLine(journal: Journal, colour: boolean, recorded = true): string {
  const c = colour ? pc : pc.createColors(false);
  const w = journal.withstand;
  const verdict =
    !recorded && w.outcome === "held"
      ? c.cyan(c.bold("DRY RUN"))
      : w.outcome === "held"
        ? c.green(c.bold("HELD"))
        : w.outcome === "deviated"
          ? c.red(c.bold("DEVIATED"))
          : w.outcome === "hypothesis-unmet-before-method"
            ? c.red(c.bold("NOT MET BEFORE METHOD"))
            : c.yellow(c.bold(w.outcome.toUpperCase()));
  const where = recorded ? `run ${w.run_id}` : "dry run, not recorded";
  return `${verdict} ${w.reason} ${c.dim(`(${where}, exit ${w.exit_code})`)}`;
}

export function printSummary(journal: Journal, mode: OutputMode, title: string, recorded = true): void {
  if (mode === "json") return;
  const colour = mode === "tty";
  if (mode === "quiet") {
    process.stdout.write(`${verdictLine(journal, false, recorded)}\n`);
    return;
  }
  const c = colour ? pc : pc.createColors(false);
  const ss = journal.steady_states;
  const state = (s: { steady_state_met: boolean } | null) =>
    s === null
      ? c.dim("not checked")
      : !recorded
        ? c.dim("not probed (dry run)")
        : s.steady_state_met
          ? c.green("met")
          : c.red("not met");
  const faults = journal.withstand.faults;
  const reverted = faults.filter((f) => f.reverted_at !== null).length;
  const lines = [
    "",
    `${c.bold("Summary")} — ${title}`,
    `  hypothesis before  ${state(ss.before)}`,
    ...(ss.during.length > 0
      ? [
          `  during the method  ${ss.during.filter((d) => d.steady_state_met).length}/${ss.during.length} checks met`,
        ]
      : []),
    `  hypothesis after   ${state(ss.after)}`,
    `  faults             ${faults.length} injected, ${reverted} reverted`,
    `  status             ${journal.status}${journal.deviated ? " (deviated)" : ""} in ${formatDuration(journal.duration * 1000)}`,
    `  verdict            ${verdictLine(journal, colour, recorded)}`,
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

/**
 * Markdown as a terminal shows it best: each pipe table as padded columns (its separator row dropped),
 * `#` headings as plain lines, the rest as written. `--format text` of a report written as Markdown.
 */
export function markdownAsText(md: string): string {
  const out: string[] = [];
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]?.startsWith("|")) {
      out.push(mdUnescape((lines[i] ?? "").replace(/^#+ /, "").replace(/\*\*/g, "")));
      i++;
      continue;
    }
    const rows: string[][] = [];
    for (; lines[i]?.startsWith("|"); i++) {
      const cells = (lines[i] ?? "")
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => mdUnescape(c.trim()));
      if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
    }
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length))) ?? [];
    for (const r of rows)
      out.push(
        r
          .map((cell, c) => cell + " ".repeat((widths[c] ?? 0) - [...cell].length))
          .join("  ")
          .trimEnd(),
      );
  }
  return out.join("\n");
}
