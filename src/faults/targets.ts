import { TargetError } from "../core/errors.js";
import type { ProcessSelector } from "../core/experiment.js";
import type { SelectionMode } from "../core/select.js";
import { pick } from "../core/select.js";
import {
  lineage,
  listProcesses,
  type ProcessInfo,
  pidsListeningOn,
  processInfo,
} from "../platform/processes.js";

export { TargetError };

export function describeSelector(s: ProcessSelector): string {
  if (s.pid !== undefined) return `pid ${s.pid}`;
  if (s.port !== undefined) return `the process listening on port ${s.port}`;
  return `command ${JSON.stringify(s.command)}`;
}

function commandMatcher(command: string): (cmd: string) => boolean {
  const m = /^\/(.*)\/([a-z]*)$/.exec(command);
  if (m) {
    const re = new RegExp(m[1] ?? "", m[2]);
    return (cmd) => re.test(cmd);
  }
  return (cmd) => cmd.includes(command);
}

/** Processes withstand must never touch: pid 1, itself, its ancestors, and its own watchdogs. */
function protectedPids(): Set<number> {
  const out = lineage(process.pid);
  out.add(1);
  return out;
}

export function matchProcesses(selector: ProcessSelector): {
  matched: ProcessInfo[];
  refused: ProcessInfo[];
} {
  const guard = protectedPids();
  let candidates: ProcessInfo[];
  if (selector.pid !== undefined) {
    const info = processInfo(selector.pid);
    candidates = info ? [info] : [];
  } else if (selector.port !== undefined) {
    candidates = pidsListeningOn(selector.port).flatMap((pid) => processInfo(pid) ?? []);
    // A forked server shares its listening socket with its children: hit the topmost owner.
    const pids = new Set(candidates.map((c) => c.pid));
    const roots = candidates.filter((c) => !pids.has(c.ppid));
    if (roots.length > 0) candidates = roots;
  } else {
    const matches = commandMatcher(selector.command ?? "");
    candidates = listProcesses().filter(
      (p) => matches(p.command) && !p.command.includes("withstand/dist/src/safety/watchdog"),
    );
  }
  const refused = candidates.filter((c) => guard.has(c.pid) || c.command.includes("safety/watchdog.js"));
  const matched = candidates.filter((c) => !refused.includes(c));
  return { matched, refused };
}

export function resolveTargets(selector: ProcessSelector, mode: SelectionMode, loc: string): ProcessInfo[] {
  const { matched, refused } = matchProcesses(selector);
  if (matched.length === 0) {
    const why =
      refused.length > 0
        ? ` except protected processes (pid 1, withstand itself or its ancestors: ${refused.map((r) => r.pid).join(", ")})`
        : "";
    throw new TargetError(
      `fault.select: ${describeSelector(selector)} matched no process${why} (expected a running process you own)`,
      loc,
    );
  }
  return pick(matched, mode);
}
