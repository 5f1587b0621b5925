import { Counter, Gauge, Registry } from "prom-client";

/** Prometheus metrics with Toxiproxy's names for bytes, plus open connections and active toxics. */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly received: Counter<"direction" | "proxy">;
  private readonly sent: Counter<"direction" | "proxy">;
  private readonly open: Gauge<"proxy">;
  private readonly active: Gauge<"proxy">;

  constructor() {
    this.received = new Counter({
      name: "toxiproxy_proxy_received_bytes_total",
      help: "Bytes the proxy received, by proxy and direction",
      labelNames: ["direction", "proxy"],
      registers: [this.registry],
    });
    this.sent = new Counter({
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
  private readonly children = new Map<
    string,
    { received: { inc(n: number): void }; sent: { inc(n: number): void } }
  >();

  bytes(proxy: string, direction: "upstream" | "downstream", n: number): void {
    const key = `${proxy}\u0000${direction}`;
    let c = this.children.get(key);
    if (!c) {
      c = {
        received: this.received.labels({ proxy, direction }),
        sent: this.sent.labels({ proxy, direction }),
      };
      this.children.set(key, c);
    }
    c.received.inc(n);
    c.sent.inc(n);
  }

  connections(proxy: string, delta: number): void {
    this.open.inc({ proxy }, delta);
  }

  toxics(proxy: string, n: number): void {
    this.active.set({ proxy }, n);
  }
}
