/** withstand's exit codes, shared by every command. */
export const EXIT = {
  ok: 0,
  failed: 1,
  invalid: 2,
  aborted: 3,
  /** An internal error: a bug in withstand (EX_SOFTWARE), never reported as a finding about the system. */
  internal: 70,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_INTERNAL = EXIT.internal;

export type RunStatus = "completed" | "failed" | "aborted" | "interrupted";

/** Maps a finished run to its exit code: 0 held, 1 deviated or failed, 3 aborted or interrupted. */
export function exitCodeFor(status: RunStatus, deviated: boolean): ExitCode {
  if (status === "aborted" || status === "interrupted") return EXIT.aborted;
  if (status === "failed" || deviated) return EXIT.failed;
  return EXIT.ok;
}
