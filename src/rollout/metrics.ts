import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import type { MetricVerdict } from "../core/judge.js";
import { VERSIONS, type Version } from "../core/rollout.js";
import { listenOn } from "../proxy/listen.js";
import type { RolloutStatus } from "./control.js";

const CLASSIFICATIONS = ["Pass", "High", "Low", "NoData"] as const;

/**
 * A rollout's state in Prometheus exposition format (argo-rollouts#2276, flagger#1304): traffic per
 * version, the canary weight, the last analysis score with its thresholds, and each metric's
 * classification and mean ratio. Read at scrape time, so it can never disagree with the rollout.
 */
export class RolloutMetrics {
  readonly registry = new Registry();
  private server: Server | undefined;
  private last: { score?: number | undefined; metrics: MetricVerdict[]; pass: number; marginal: number } = {
    metrics: [],
    pass: 95,
    marginal: 75,
  };

  constructor(status: () => RolloutStatus) {
    const registers = [this.registry];
    const rollout = () => status().name;
    // Counters read at scrape time: each scrape adds what the router counted since the previous one.
    const counter = (name: string, help: string, read: (s: RolloutStatus, v: Version) => number) => {
      const seen = new Map<Version, number>();
      new Counter({
        name,
        help,
        labelNames: ["rollout", "version"],
        registers,
        collect() {
          const s = status();
          for (const v of VERSIONS) {
            if (v === "baseline" && !s.baseline) continue;
            const now = read(s, v);
            const delta = now - (seen.get(v) ?? 0);
            if (delta > 0) this.inc({ rollout: s.name, version: v }, delta);
            seen.set(v, now);
          }
        },
      });
    };
    counter(
      "withstand_rollout_requests_total",
      "Requests the router sent to each version",
      (s, v) => s[v]?.requests ?? 0,
    );
    counter(
      "withstand_rollout_errors_total",
      "Requests of each version that failed (5xx, reset or refused)",
      (s, v) => s[v]?.errors ?? 0,
    );
    new Gauge({
      name: "withstand_rollout_canary_weight",
      help: "Share of traffic routed to the canary, in percent",
      labelNames: ["rollout"],
      registers,
      collect() {
        this.set({ rollout: rollout() }, status().weight);
      },
    });
    new Gauge({
      name: "withstand_rollout_step",
      help: "Index of the current step (0-based)",
      labelNames: ["rollout"],
      registers,
      collect() {
        this.set({ rollout: rollout() }, status().step);
      },
    });
    const last = () => this.last;
    new Gauge({
      name: "withstand_rollout_analysis_score",
      help: "Score (0-100) of the latest analysis measurement, with its thresholds as labels",
      labelNames: ["rollout", "pass", "marginal"],
      registers,
      collect() {
        this.reset();
        const l = last();
        if (l.score !== undefined)
          this.set({ rollout: rollout(), pass: String(l.pass), marginal: String(l.marginal) }, l.score);
      },
    });
    new Gauge({
      name: "withstand_rollout_metric_classification",
      help: "1 for the latest classification of each judged metric",
      labelNames: ["rollout", "metric", "classification"],
      registers,
      collect() {
        this.reset();
        for (const m of last().metrics)
          for (const c of CLASSIFICATIONS)
            this.set(
              { rollout: rollout(), metric: m.name, classification: c },
              m.classification === c ? 1 : 0,
            );
      },
    });
    new Gauge({
      name: "withstand_rollout_metric_mean_ratio",
      help: "Canary mean over baseline mean of each judged metric at the latest measurement",
      labelNames: ["rollout", "metric"],
      registers,
      collect() {
        this.reset();
        for (const m of last().metrics)
          if (Number.isFinite(m.effectSize)) this.set({ rollout: rollout(), metric: m.name }, m.effectSize);
      },
    });
  }

  /** Records the latest measurement (from the rollout's events). */
  measured(
    score: number | undefined,
    metrics: MetricVerdict[],
    thresholds: { pass: number; marginal: number },
  ): void {
    this.last = { score, metrics, ...thresholds };
  }

  async listen(host: string, port: number): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("metrics are at /metrics\n");
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`),
      );
    });
    return listenOn(this.server, host, port);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
