import { Agent, type Dispatcher, request } from "undici";
import type { LoadActivitySpec } from "../core/experiment.js";
import { sleep } from "../core/sleep.js";
import { newWindow, recordSample, type Window } from "../core/window.js";

export interface LoadResult {
  windows: Window[];
  /** Requests the generator could not start because too many were in flight. */
  dropped: number;
}

const WINDOW_MS = 1000;
const MAX_IN_FLIGHT = 10_000;

function errorClass(status: number | undefined, err: unknown): string | undefined {
  if (status !== undefined) return status >= 500 ? "5xx" : status >= 400 ? "4xx" : undefined;
  const code =
    (err as NodeJS.ErrnoException)?.code ?? (err as { cause?: NodeJS.ErrnoException })?.cause?.code ?? "";
  if (code.includes("TIMEOUT") || code === "ABORT_ERR") return "timeout";
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connect";
  return "other";
}

/**
 * Open-model load at a constant arrival rate: request i is due at start + i/rate whatever happened to
 * earlier ones, and its latency counts from that intended time (wrk2 semantics, no coordinated omission).
 */
export async function runConstantRate(
  spec: LoadActivitySpec,
  signal: AbortSignal,
  onWindow: (w: Window) => void = () => undefined,
): Promise<LoadResult> {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 256 });
  const intervalMs = 1000 / spec.ratePerSecond;
  const total = Math.floor((spec.durationMs / 1000) * spec.ratePerSecond);
  const windows: Window[] = [];
  const start = performance.now();
  const wallStart = Date.now();
  let current = newWindow(wallStart);
  let inFlight = 0;
  let dropped = 0;
  const pending = new Set<Promise<void>>();

  const windowFor = (nowMs: number): Window => {
    while (nowMs >= current.start + WINDOW_MS) {
      current.end = current.start + WINDOW_MS;
      windows.push(current);
      onWindow(current);
      current = newWindow(current.end);
    }
    return current;
  };

  const fire = (intendedAt: number): void => {
    if (inFlight >= MAX_IN_FLIGHT) {
      dropped++;
      return;
    }
    inFlight++;
    const p = (async () => {
      let status: number | undefined;
      let failure: unknown;
      try {
        const res = await request(spec.url, {
          method: spec.method as Dispatcher.HttpMethod,
          headers: spec.headers,
          ...(spec.body !== undefined ? { body: spec.body } : {}),
          dispatcher,
          headersTimeout: spec.timeoutMs,
          bodyTimeout: spec.timeoutMs,
        });
        status = res.statusCode;
        await res.body.dump();
      } catch (err) {
        failure = err;
      }
      const done = performance.now();
      const w = windowFor(wallStart + (done - start));
      recordSample(w, {
        latencyMicros: (done - intendedAt) * 1000,
        status,
        errorClass: errorClass(status, failure),
      });
      inFlight--;
    })();
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  let sent = 0;
  while (sent < total && !signal.aborted) {
    const now = performance.now();
    // Fire everything that is due; a late timer catches up instead of shifting the schedule.
    while (sent < total && start + sent * intervalMs <= now) {
      fire(start + sent * intervalMs);
      sent++;
    }
    const next = start + sent * intervalMs;
    const wait = Math.max(0, next - performance.now());
    await sleep(wait, signal);
  }
  await Promise.all(pending);
  const end = wallStart + (performance.now() - start);
  windowFor(end);
  current.end = Math.max(current.start, end);
  if (current.count > 0) {
    windows.push(current);
    onWindow(current);
  }
  await dispatcher.close();
  return { windows, dropped };
}
