import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { AlertMessage } from "./alerts.js";

/**
 * The webhook's outbox: alerts wait here, in order, until the receiver takes them (2xx). A failed
 * delivery is retried with exponential backoff (1 s, 2 s, 4 s ... up to `maxBackoffMs`), for as long as
 * it takes; the queue is bounded (the oldest alert is dropped, and counted, past `capacity`) and kept
 * in a small JSON file written atomically, so a restart of the monitor loses nothing.
 */
export interface AlertQueueOptions {
  /** Where the queue lives across restarts; none: memory only. */
  file?: string;
  capacity?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Delivers one alert; throws (or rejects) when the receiver did not take it. */
  deliver: (message: AlertMessage) => Promise<void>;
  /** Told about each failed try, for the log. */
  onError?: (message: AlertMessage, error: Error, retryInMs: number) => void;
}

interface Queued {
  message: AlertMessage;
  queuedAt: string;
  attempts: number;
}

export interface AlertQueueStatus {
  undelivered: number;
  dropped: number;
  oldest: string | null;
  lastError: string | null;
}

export const DEFAULT_ALERT_CAPACITY = 1000;

export class AlertQueue {
  private items: Queued[] = [];
  private dropped = 0;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private stopped = false;
  private failures = 0;
  private readonly capacity: number;

  constructor(private readonly opts: AlertQueueOptions) {
    this.capacity = opts.capacity ?? DEFAULT_ALERT_CAPACITY;
    this.load();
  }

  private load(): void {
    if (!this.opts.file) return;
    let text: string;
    try {
      text = readFileSync(this.opts.file, "utf8");
    } catch {
      return;
    }
    try {
      const saved = JSON.parse(text) as { items?: unknown; dropped?: unknown; lastError?: unknown };
      if (Array.isArray(saved.items))
        this.items = (saved.items as Queued[])
          .filter((q) => q && typeof q === "object" && q.message?.version === "withstand.alert/v1")
          .slice(-this.capacity);
      if (typeof saved.dropped === "number") this.dropped = saved.dropped;
      if (typeof saved.lastError === "string") this.lastError = saved.lastError;
    } catch {
      // A torn or foreign file: start empty rather than refuse to monitor.
    }
  }

  private save(): void {
    if (!this.opts.file) return;
    const file = this.opts.file;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(
        tmp,
        `${JSON.stringify({ items: this.items, dropped: this.dropped, lastError: this.lastError })}\n`,
        { mode: 0o600 },
      );
      renameSync(tmp, file);
    } catch (err) {
      this.lastError = `could not save the alert queue to ${file}: ${(err as Error).message}`;
    }
  }

  enqueue(message: AlertMessage): void {
    this.items.push({ message, queuedAt: new Date().toISOString(), attempts: 0 });
    while (this.items.length > this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    this.save();
    this.kick();
  }

  /** Starts delivering what a previous run left undelivered. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  status(): AlertQueueStatus {
    return {
      undelivered: this.items.length,
      dropped: this.dropped,
      oldest: this.items[0]?.queuedAt ?? null,
      lastError: this.items.length > 0 ? this.lastError : null,
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.stopped || this.sending || this.timer) return;
    this.sending = true;
    void this.drain().finally(() => {
      this.sending = false;
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const head = this.items[0];
      if (!head) return;
      try {
        await this.opts.deliver(head.message);
      } catch (err) {
        head.attempts++;
        this.failures++;
        this.lastError = `${new Date().toISOString()} ${(err as Error).message}`;
        this.save();
        const base = this.opts.baseBackoffMs ?? 1000;
        const max = this.opts.maxBackoffMs ?? 300_000;
        const wait = Math.min(max, base * 2 ** Math.min(this.failures - 1, 30));
        this.opts.onError?.(head.message, err as Error, wait);
        if (this.stopped) return;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, wait);
        return;
      }
      // Delivered: the head may have been dropped meanwhile (the queue overflowed during the try).
      if (this.items[0] === head) this.items.shift();
      this.failures = 0;
      this.save();
    }
  }
}
