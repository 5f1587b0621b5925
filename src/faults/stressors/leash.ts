import { sameProcess, starttimeOf } from "../../platform/processes.js";

/**
 * What every stressor process does first: it dies with its runner. The IPC channel closing (the runner
 * exited or was SIGKILLed) or the runner's pid no longer being the same process ends it within 100 ms,
 * so a stressor never outlives the run that started it, even when no revert ever runs.
 */
export function leash(): {
  runner: { pid: number; starttime: number };
  go: Promise<Record<string, unknown>>;
} {
  const pid = process.ppid;
  const runner = { pid, starttime: starttimeOf(pid) ?? 0 };
  const bye = () => process.exit(0);
  process.on("disconnect", bye);
  const watch = setInterval(() => {
    if (!sameProcess(runner)) bye();
  }, 100);
  watch.unref();
  // The runner registers the stressor's revert before it sends "go": until then it only waits.
  const go = new Promise<Record<string, unknown>>((resolve) => {
    process.on("message", (m: { type?: string; params?: Record<string, unknown> }) => {
      if (m?.type === "go") resolve(m.params ?? {});
    });
  });
  process.send?.({ type: "ready" });
  return { runner, go };
}

/** Reports progress to the runner (it shows in the fault's result); ignored when the channel is gone. */
export function report(message: Record<string, unknown>): void {
  if (process.connected) process.send?.({ type: "report", ...message });
}
