/** One routed request, kept for the judge: it compares canary and baseline request by request. */
export interface RoutedSample {
  atMs: number;
  latencyMs: number;
  error: 0 | 1;
}

/**
 * One version's routed requests, oldest first, kept in columns rather than an object each: a busy
 * router records tens of thousands a second, and a million objects cost ~0.5 GB of heap and the
 * collector's time on every request. Holds at most `capacity`, overwriting the oldest beyond it; the
 * columns start small and double as they fill.
 */
export class SampleRing {
  private at: Float64Array;
  private latency: Float64Array;
  private failed: Uint8Array;
  /** Where the oldest sample is. */
  private first = 0;
  private count = 0;

  constructor(
    private readonly capacity: number,
    initial = 4096,
  ) {
    const n = Math.max(1, Math.min(initial, capacity));
    this.at = new Float64Array(n);
    this.latency = new Float64Array(n);
    this.failed = new Uint8Array(n);
  }

  get size(): number {
    return this.count;
  }

  push(atMs: number, latencyMs: number, error: 0 | 1): void {
    if (this.count === this.at.length) {
      if (this.count < this.capacity) this.grow();
      else this.dropOldest();
    }
    const i = this.slot(this.count);
    this.at[i] = atMs;
    this.latency[i] = latencyMs;
    this.failed[i] = error;
    this.count++;
  }

  /** Drops samples from the oldest end for as long as they started before `cutoffMs`. */
  dropStartedBefore(cutoffMs: number): void {
    while (this.count > 0 && (this.at[this.first] as number) < cutoffMs) this.dropOldest();
  }

  /** The samples that started in [fromMs, toMs), oldest first. */
  between(fromMs: number, toMs: number): RoutedSample[] {
    const out: RoutedSample[] = [];
    for (let k = 0; k < this.count; k++) {
      const i = this.slot(k);
      const atMs = this.at[i] as number;
      if (atMs >= fromMs && atMs < toMs)
        out.push({ atMs, latencyMs: this.latency[i] as number, error: this.failed[i] === 1 ? 1 : 0 });
    }
    return out;
  }

  private slot(k: number): number {
    const i = this.first + k;
    return i < this.at.length ? i : i - this.at.length;
  }

  private dropOldest(): void {
    this.first = this.slot(1);
    this.count--;
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.at.length * 2);
    const at = new Float64Array(n);
    const latency = new Float64Array(n);
    const failed = new Uint8Array(n);
    for (let k = 0; k < this.count; k++) {
      const i = this.slot(k);
      at[k] = this.at[i] as number;
      latency[k] = this.latency[i] as number;
      failed[k] = this.failed[i] as number;
    }
    this.at = at;
    this.latency = latency;
    this.failed = failed;
    this.first = 0;
  }
}
