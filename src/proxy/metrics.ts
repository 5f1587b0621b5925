import { Counter, Gauge, Registry } from "prom-client";

/** Prometheus metrics with Toxiproxy's names for bytes, plus open connections and active toxics. */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly received_: Counter<"direction" | "proxy">;
  private readonly sent_: Counter<"direction" | "proxy">;
  private readonly open: Gauge<"proxy">;
  private readonly active: Gauge<"proxy">;

  constructor() {
    this.received_ = new Counter({
      name: "toxiproxy_proxy_received_bytes_total",
      help: "Bytes the proxy received, by proxy and direction",
      labelNames: ["direction", "proxy"],
      registers: [this.registry],
    });
    this.sent_ = new Counter({
      name: "toxiproxy_proxy_sent_bytes_total",
      help: "Bytes the proxy sent on, by proxy and direction",
      labelNames: ["direction", "proxy"],
      registers: [this.registry],
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

  /** Labelled children are cached: hashing labels on every chunk would cost more than moving the bytes. */
  private readonly children = new Map<string, { inc(n: number): void }>();

  private child(
    counter: Counter<"direction" | "proxy">,
    kind: string,
    proxy: string,
    direction: string,
  ): { inc(n: number): void } {
    const key = `${kind}\u0000${proxy}\u0000${direction}`;
    let c = this.children.get(key);
    if (!c) {
      c = counter.labels({ proxy, direction });
      this.children.set(key, c);
    }
    return c;
  }

  received(proxy: string, direction: "upstream" | "downstream", n: number): void {
    this.child(this.received_, "r", proxy, direction).inc(n);
  }

  sent(proxy: string, direction: "upstream" | "downstream", n: number): void {
    this.child(this.sent_, "s", proxy, direction).inc(n);
  }

  connections(proxy: string, delta: number): void {
    this.open.inc({ proxy }, delta);
  }

  toxics(proxy: string, n: number): void {
    this.active.set({ proxy }, n);
  }
}
