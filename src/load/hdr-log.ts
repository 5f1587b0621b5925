import * as hdr from "hdr-histogram-js";
import type { ThresholdSpec } from "../core/load-plan.js";
import { newWindow, type Window } from "../core/window.js";

/**
 * HdrHistogram interval logs (the format wrk2, HdrHistogram's tools and hdrhistogram.org read).
 * Each window writes two tagged interval histograms (latency from intended send, service time) and a
 * comment carrying its counts, so `withstand load merge` can rebuild every k6 metric exactly.
 */
export class HdrLogWriter {
  private readonly writer: hdr.HistogramLogWriter;
  private readonly chunks: string[] = [];

  constructor(epoch: number, thresholds: readonly ThresholdSpec[]) {
    this.writer = new hdr.HistogramLogWriter((text) => this.chunks.push(text));
    this.writer.outputComment(
      "[withstand load: latency in microseconds; Tag=latency is measured from the intended send time]",
    );
    this.writer.outputComment(
      `[withstand-thresholds ${JSON.stringify(thresholds.map((t) => ({ metric: t.submetric ?? t.metric, expression: t.expression })))}]`,
    );
    this.writer.outputLogFormatVersion();
    this.writer.outputStartTime(epoch);
    this.writer.baseTime = epoch;
    this.writer.outputLegend();
  }

  add(w: Window): void {
    this.writer.outputComment(
      `[withstand-window ${JSON.stringify({ start: w.start, end: w.end, count: w.count, errors: w.errors, dropped: w.dropped, late: w.late, errorClasses: w.errorClasses, statusCodes: w.statusCodes })}]`,
    );
    const startSec = (w.start - this.writer.baseTime) / 1000;
    const endSec = (w.end - this.writer.baseTime) / 1000;
    w.latency.tag = "latency";
    this.writer.outputIntervalHistogram(w.latency, startSec, endSec, 1000);
    w.service.tag = "service";
    this.writer.outputIntervalHistogram(w.service, startSec, endSec, 1000);
  }

  text(): string {
    return this.chunks.join("");
  }
}

export interface ReadLog {
  windows: Window[];
  thresholds: { metric: string; expression: string }[];
}

/** Reads a log written by HdrLogWriter back into windows (histograms decoded exactly). */
export function readHdrLog(text: string): ReadLog {
  const windows: Window[] = [];
  let thresholds: ReadLog["thresholds"] = [];
  const metaLines = text.split("\n").filter((l) => l.startsWith("#[withstand-"));
  const metas: {
    start: number;
    end: number;
    count: number;
    errors: number;
    dropped: number;
    late: number;
    errorClasses: Record<string, number>;
    statusCodes: Record<string, number>;
  }[] = [];
  for (const line of metaLines) {
    const m = /^#\[withstand-(\w+) (.*)\]$/.exec(line);
    if (!m) continue;
    if (m[1] === "thresholds") thresholds = JSON.parse(m[2] ?? "[]");
    if (m[1] === "window") metas.push(JSON.parse(m[2] ?? "{}"));
  }
  const reader = new hdr.HistogramLogReader(text, 32);
  let i = 0;
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
    const index = Math.floor(i / 2);
    const meta = metas[index];
    if (!meta) throw new Error(`interval ${i + 1} has no withstand-window comment: not a withstand HDR log`);
    let w = windows[index];
    if (!w) {
      w = Object.assign(newWindow(meta.start), {
        end: meta.end,
        count: meta.count,
        errors: meta.errors,
        dropped: meta.dropped,
        late: meta.late,
        errorClasses: meta.errorClasses,
        statusCodes: meta.statusCodes,
      });
      windows[index] = w;
    }
    if (h.tag === "service") w.service.add(h);
    else w.latency.add(h);
    i++;
  }
  return { windows, thresholds };
}
