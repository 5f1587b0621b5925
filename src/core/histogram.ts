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

export function recordMicros(h: Histogram, micros: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(micros))));
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
