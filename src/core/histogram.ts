import * as hdr from "hdr-histogram-js";

/** Latency histograms in microseconds, 3 significant digits, 1 µs to 1 h: the precision the tool promises. */
export type Histogram = hdr.Histogram;

const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
  });
}

/** The value a histogram records for a latency: whole microseconds, 1 µs to 1 h. */
function clampMicros(micros: number): number {
  return Math.min(HIGHEST_US, Math.max(1, Math.round(micros)));
}

export function recordMicros(h: Histogram, micros: number): void {
  h.recordValue(clampMicros(micros));
}

/** Values below this (about 65 ms) are counted in a plain array: one increment per sample. */
const DIRECT_US = 65_536;

/**
 * Latencies counted by value before they go into a histogram. At tens of thousands of samples a second
 * an HDR record is the largest cost per sample, while a second's samples repeat a few thousand distinct
 * microsecond values; `flushInto` records each distinct value once with its count, which leaves the
 * histogram exactly as recording every sample would.
 */
export class LatencyBatch {
  private direct: Uint32Array | undefined;
  private directUsed = false;
  private readonly rest = new Map<number, number>();

  add(micros: number): void {
    const v = clampMicros(micros);
    if (v < DIRECT_US) {
      this.direct ??= new Uint32Array(DIRECT_US);
      this.direct[v] = (this.direct[v] ?? 0) + 1;
      this.directUsed = true;
    } else this.rest.set(v, (this.rest.get(v) ?? 0) + 1);
  }

  /** Records every counted value into `h` and empties the batch for reuse. */
  flushInto(h: Histogram): void {
    const d = this.direct;
    if (d && this.directUsed)
      for (let v = 1; v < DIRECT_US; v++) {
        const c = d[v] ?? 0;
        if (c > 0) {
          h.recordValueWithCount(v, c);
          d[v] = 0;
        }
      }
    this.directUsed = false;
    for (const [v, c] of this.rest) h.recordValueWithCount(v, c);
    this.rest.clear();
  }
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(text: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(text, 32, false);
  const out = newHistogram();
  out.add(decoded);
  return out;
}
