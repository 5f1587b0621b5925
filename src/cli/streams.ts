/**
 * Output is never a reason to stop a run: when stdout or stderr is closed (`withstand run x --json |
 * head -4`), further writes are dropped instead of crashing the runner mid-fault with EPIPE. The run
 * goes on, reverts its faults and records itself in the store.
 */
export function guardOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") {
        // Later writes to a destroyed stream would emit again; swallow them all.
        stream.write = (() => true) as typeof stream.write;
        return;
      }
      throw err;
    });
  }
}
