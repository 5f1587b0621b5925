import { Worker } from "node:worker_threads";
import type { Mismatch } from "../core/pact/json.js";
import type { PactResponse } from "../core/pact/pact-file.js";
import type { ActualResponse } from "../core/pact/response.js";

/** How long one interaction's comparison may take before it counts as catastrophic backtracking. */
export const MATCH_BUDGET_MS = 5_000;

interface Reply {
  id: number;
  mismatches?: Mismatch[];
  error?: string;
}

/**
 * Runs response comparisons in a worker thread, one at a time, each within a time budget. A
 * comparison over budget (a regex such as `(a+)+$` on a long value) ends the worker and becomes a
 * mismatch; the next comparison starts a fresh worker. An abort ends the worker at once.
 */
export class Matcher {
  private worker: Worker | undefined;
  private nextId = 0;

  constructor(private readonly budgetMs = MATCH_BUDGET_MS) {}

  async match(expected: PactResponse, actual: ActualResponse, signal?: AbortSignal): Promise<Mismatch[]> {
    signal?.throwIfAborted();
    if (!this.worker) {
      this.worker = new Worker(new URL("./match-worker.js", import.meta.url));
      this.worker.unref();
    }
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<Mismatch[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        signal?.removeEventListener("abort", onAbort);
      };
      const kill = () => {
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
      };
      const onMessage = (r: Reply) => {
        if (r.id !== id) return;
        done();
        if (r.error !== undefined) reject(new Error(`comparing the response failed: ${r.error}`));
        else resolve(r.mismatches ?? []);
      };
      const onError = (err: Error) => {
        done();
        kill();
        reject(err);
      };
      const onAbort = () => {
        done();
        kill();
        reject(signal?.reason ?? new Error("aborted"));
      };
      const timer = setTimeout(() => {
        done();
        kill();
        resolve([
          {
            type: "body",
            path: "$",
            expected: "a comparison within the time budget",
            actual: `over ${this.budgetMs} ms`,
            mismatch: `comparing the response took longer than ${this.budgetMs} ms (a matching rule's regex backtracks on this value, as (a+)+$ does on a long run of a's), refused as catastrophic backtracking`,
          },
        ]);
      }, this.budgetMs);
      worker.on("message", onMessage);
      worker.on("error", onError);
      signal?.addEventListener("abort", onAbort, { once: true });
      worker.postMessage({ id, expected, actual });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
