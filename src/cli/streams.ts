/**
 * Output is never a reason to stop a run or change its result: when stdout or stderr is closed
 * (`withstand run x --json | head -4`, EPIPE) or cannot be written (`>/dev/full`, a full disk: ENOSPC;
 * EIO, EFBIG, EDQUOT...), further writes to it are dropped instead of crashing the runner mid-fault.
 * The run goes on, reverts its faults, records itself in the store and exits with its own code. A
 * failed stdout is said once on stderr, when stderr still works.
 */
export function guardOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    let failed = false;
    stream.on("error", (err: NodeJS.ErrnoException) => {
      // Later writes to a destroyed stream would emit again; swallow them all.
      stream.write = ((_chunk: unknown, ...rest: unknown[]) => {
        const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        done?.();
        return true;
      }) as typeof stream.write;
      if (failed) return;
      failed = true;
      if (stream === process.stdout && err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED")
        try {
          process.stderr.write(
            `withstand: cannot write to standard output (${err.code ?? err.message}); output dropped\n`,
          );
        } catch {
          // stderr fails too: nothing is left to tell.
        }
    });
  }
}
