import { Counter, Gauge, Registry } from "prom-client";

type Direction = "upstream" | "downstream";

/** Bytes counted as plain numbers on the hot path; the counters read them at scrape time. */
interface Tally {
  received: number;
  sent: number;
}

/** Prometheus metrics with Toxiproxy's names for bytes, plus open connections and active toxics. */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly open: Gauge<"proxy">;
  private readonly active: Gauge<"proxy">;
  /**
   * Per proxy and direction. A labelled prom-client counter hashes its labels on every `inc`, which
   * cost more than moving a small chunk; scrapes are rare, chunks are not.
   */
  private readonly tallies = new Map<string, Record<Direction, Tally>>();

  constructor() {
    const tallies = this.tallies;
    const publish = (field: keyof Tally) =>
      function (this: Counter<"direction" | "proxy">) {
        this.reset();
        for (const [proxy, t] of tallies)
          for (const direction of ["upstream", "downstream"] as const)
            if (t[direction][field] > 0) this.inc({ proxy, direction }, t[direction][field]);
      };
    new Counter({
      name: "toxiproxy_proxy_received_bytes_total",
      help: "Bytes the proxy received, by proxy and direction",
      labelNames: ["direction", "proxy"],
      registers: [this.registry],
      collect: publish("received"),
    });
    new Counter({
      name: "toxiproxy_proxy_sent_bytes_total",
      help: "Bytes the proxy sent on, by proxy and direction",
      labelNames: ["direction", "proxy"],
      registers: [this.registry],
      collect: publish("sent"),
    });
    this.open = new Gauge({
      name: "withstand_proxy_open_connections",
      help: "Client connections open through the proxy",
      labelNames: ["proxy"],
      registers: [this.registry],
    });
    this.active = new Gauge({
      name: "withstand_proxy_active_toxics",
      help: "Toxics installed on the proxy",
      labelNames: ["proxy"],
      registers: [this.registry],
    });
  }

  private tally(proxy: string, direction: Direction): Tally {
    let t = this.tallies.get(proxy);
    if (!t) {
      t = { upstream: { received: 0, sent: 0 }, downstream: { received: 0, sent: 0 } };
      this.tallies.set(proxy, t);
    }
    return t[direction];
  }

  received(proxy: string, direction: Direction, n: number): void {
    this.tally(proxy, direction).received += n;
  }

  sent(proxy: string, direction: Direction, n: number): void {
    this.tally(proxy, direction).sent += n;
  }

  connections(proxy: string, delta: number): void {
    this.open.inc({ proxy }, delta);
  }

  toxics(proxy: string, n: number): void {
    this.active.set({ proxy }, n);
  }
}
