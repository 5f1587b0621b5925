import type { RunEvent } from "../core/events.js";
import type { StoredWindow } from "../core/window.js";
import type { RunEnd, RunStart, Store } from "./store.js";

/**
 * Records one run in a store as it happens. Bus listeners are synchronous, store writes are not: the
 * recorder queues every write in the order it happened, one at a time (so a run's events stay in
 * order whatever the adapter), and keeps the first failures instead of losing them in a floating
 * promise. `finish` waits for everything queued, then writes the run's end.
 */
export class RunRecorder {
  private queue: Promise<void> = Promise.resolve();
  readonly failures: Error[] = [];

  constructor(
    private readonly store: Store,
    readonly runId: string,
  ) {}

  begin(run: Omit<RunStart, "id">): Promise<void> {
    return this.store.beginRun({ id: this.runId, ...run });
  }

  /** A bus listener: `bus.on(recorder.event)`. Window events are stored as windows, the rest as events. */
  readonly event = (event: RunEvent): void => {
    if (event.type === "window") this.window(event.series, event.window);
    else this.enqueue(() => this.store.appendEvent(event));
  };

  window(series: string, window: StoredWindow): void {
    this.enqueue(() => this.store.appendWindow(this.runId, series, window));
  }

  private enqueue(write: () => Promise<void>): void {
    this.queue = this.queue.then(write).catch((err: unknown) => {
      if (this.failures.length < 10) this.failures.push(err as Error);
    });
  }

  /** Waits for every queued write. */
  async flush(): Promise<void> {
    await this.queue;
  }

  async finish(end: RunEnd): Promise<void> {
    await this.flush();
    await this.store.finishRun(this.runId, end);
  }
}
