import { HttpProxy } from "./http-proxy.js";
import type { ProxyMetrics } from "./metrics.js";
import { TcpProxy } from "./tcp-proxy.js";
import {
  ApiError,
  HTTP_TOXICS,
  httpAttributes,
  type Stream,
  TCP_TOXICS,
  type ToxicSpec,
  tcpAttributes,
} from "./toxics.js";

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
  protocol?: "http";
}

export interface ToxicJson {
  attributes: Record<string, unknown>;
  name: string;
  type: string;
  stream: string;
  toxicity: number;
}

interface Entry {
  name: string;
  listen: string;
  shownListen: string;
  upstream: string;
  enabled: boolean;
  protocol: "tcp" | "http";
  toxics: ToxicSpec[];
  /** Toxic name → lease expiry (performance.now()); toxics without a lease are permanent. */
  leases: Map<string, number>;
  impl: TcpProxy | HttpProxy;
}

/** Go's encoding/json matches keys case-insensitively; Toxiproxy clients rely on it. */
function field(body: Record<string, unknown>, name: string): unknown {
  if (name in body) return body[name];
  const hit = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : body[hit];
}

function asObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(
      400,
      `bad request body: json: cannot unmarshal ${Array.isArray(body) ? "array" : typeof body} into Go value of type ${what}`,
    );
  }
  return body as Record<string, unknown>;
}

function str(body: Record<string, unknown>, name: string, what: string): string | undefined {
  const v = field(body, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string")
    throw new ApiError(
      400,
      `bad request body: json: cannot unmarshal ${typeof v} into Go struct field ${what}.${name} of type string`,
    );
  return v;
}

/** The proxies a `withstand proxy` server (or an experiment) holds, with Toxiproxy's rules for each call. */
export class ProxyCollection {
  private readonly entries = new Map<string, Entry>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly metrics?: ProxyMetrics) {
    this.sweep = setInterval(() => this.sweepLeases(), 250);
    this.sweep.unref();
  }

  list(): Record<string, ProxyJson> {
    const out: Record<string, ProxyJson> = {};
    for (const name of [...this.entries.keys()].sort()) {
      const e = this.entries.get(name);
      if (e) out[name] = this.json(e);
    }
    return out;
  }

  get(name: string): ProxyJson {
    return this.json(this.entry(name));
  }

  async create(body: unknown): Promise<ProxyJson> {
    const b = asObject(body, "toxiproxy.Proxy");
    const name = str(b, "name", "Proxy");
    const upstream = str(b, "upstream", "Proxy");
    const listen = str(b, "listen", "Proxy") ?? "127.0.0.1:0";
    const enabledRaw = field(b, "enabled");
    if (enabledRaw !== undefined && typeof enabledRaw !== "boolean")
      throw new ApiError(
        400,
        "bad request body: json: cannot unmarshal into Go struct field Proxy.enabled of type bool",
      );
    const protocol = field(b, "protocol") === "http" ? "http" : "tcp";
    if (!name) throw new ApiError(400, "missing required field: name");
    if (!upstream) throw new ApiError(400, "missing required field: upstream");
    if (this.entries.has(name)) throw new ApiError(409, "proxy already exists");
    const entry: Entry = {
      name,
      listen,
      shownListen: listen,
      upstream,
      enabled: enabledRaw !== false,
      protocol,
      toxics: [],
      leases: new Map(),
      impl: this.makeImpl(name, upstream, protocol),
    };
    if (entry.enabled) await this.startEntry(entry);
    this.entries.set(name, entry);
    this.metrics?.toxics(name, 0);
    return this.json(entry);
  }

  async update(name: string, body: unknown): Promise<ProxyJson> {
    const e = this.entry(name);
    const b = asObject(body, "toxiproxy.Proxy");
    const listen = str(b, "listen", "Proxy");
    const upstream = str(b, "upstream", "Proxy");
    const enabled = field(b, "enabled");
    if (enabled !== undefined && typeof enabled !== "boolean")
      throw new ApiError(
        400,
        "bad request body: json: cannot unmarshal into Go struct field Proxy.enabled of type bool",
      );
    const moved =
      (listen !== undefined && listen !== e.listen && listen !== e.shownListen) ||
      (upstream !== undefined && upstream !== e.upstream);
    if (listen !== undefined) e.listen = listen;
    if (upstream !== undefined) {
      e.upstream = upstream;
      e.impl.setUpstream(upstream);
    }
    const wantEnabled = typeof enabled === "boolean" ? enabled : e.enabled;
    if (moved && e.impl.running) await e.impl.stop();
    if (!wantEnabled && e.impl.running) await e.impl.stop();
    e.enabled = wantEnabled;
    if (wantEnabled && !e.impl.running) await this.startEntry(e);
    return this.json(e);
  }

  async remove(name: string): Promise<void> {
    const e = this.entry(name);
    this.entries.delete(name);
    await e.impl.stop();
    this.metrics?.toxics(name, 0);
  }

  /** Toxiproxy's populate: same settings are left untouched, changed ones replaced; the first failure stops the rest. */
  async populate(body: unknown): Promise<{ proxies: ProxyJson[]; error?: ApiError }> {
    if (!Array.isArray(body))
      throw new ApiError(
        400,
        "bad request body: json: cannot unmarshal object into Go value of type []toxiproxy.Proxy",
      );
    body.forEach((p, i) => {
      const b = asObject(p, "toxiproxy.Proxy");
      if (!str(b, "name", "Proxy")) throw new ApiError(400, `missing required field: name at proxy ${i + 1}`);
      if (!str(b, "upstream", "Proxy"))
        throw new ApiError(400, `missing required field: upstream at proxy ${i + 1}`);
    });
    const proxies: ProxyJson[] = [];
    for (const p of body as Record<string, unknown>[]) {
      const name = str(p, "name", "Proxy") ?? "";
      const existing = this.entries.get(name);
      const listen = str(p, "listen", "Proxy") ?? "127.0.0.1:0";
      const upstream = str(p, "upstream", "Proxy") ?? "";
      try {
        if (
          existing &&
          (existing.listen === listen || existing.shownListen === listen) &&
          existing.upstream === upstream
        ) {
          proxies.push(this.json(existing));
          continue;
        }
        if (existing) await this.remove(name);
        const created = await this.create(p);
        // withstand applies `toxics` given in the config, which Toxiproxy ignores (Shopify/toxiproxy#447).
        const toxics = field(p, "toxics");
        if (Array.isArray(toxics)) for (const t of toxics) await this.addToxic(name, t);
        proxies.push(Array.isArray(toxics) ? this.get(name) : created);
      } catch (err) {
        if (err instanceof ApiError) return { proxies, error: err };
        return { proxies, error: new ApiError(500, (err as Error).message) };
      }
    }
    return { proxies };
  }

  async reset(): Promise<void> {
    for (const e of this.entries.values()) {
      for (const t of [...e.toxics]) this.dropToxic(e, t);
      if (!e.impl.running) {
        e.enabled = true;
        await this.startEntry(e);
      }
      e.enabled = true;
    }
  }

  listToxics(proxy: string): ToxicJson[] {
    return this.toxicsJson(this.entry(proxy));
  }

  getToxic(proxy: string, toxic: string): ToxicJson {
    const e = this.entry(proxy);
    const t = e.toxics.find((x) => x.name === toxic);
    if (!t) throw new ApiError(404, "toxic not found");
    return toxicJson(t);
  }

  addToxic(proxy: string, body: unknown): ToxicJson {
    const e = this.entry(proxy);
    const b = asObject(body, "toxics.ToxicWrapper");
    const type = str(b, "type", "ToxicWrapper") ?? "";
    const streamRaw = str(b, "stream", "ToxicWrapper") ?? "downstream";
    const stream = streamRaw.toLowerCase();
    if (stream !== "upstream" && stream !== "downstream")
      throw new ApiError(400, "stream was invalid, can be either upstream or downstream");
    const known = e.protocol === "http" ? HTTP_TOXICS : TCP_TOXICS;
    // Own keys only: `constructor` or `toString` are not toxics (they were, through the prototype: a 500).
    if (!Object.hasOwn(known, type)) {
      const http = Object.hasOwn(HTTP_TOXICS, type);
      if (http || Object.hasOwn(TCP_TOXICS, type))
        throw new ApiError(
          400,
          `invalid toxic type: ${type} needs a proxy with "protocol": "${http ? "http" : "tcp"}"`,
        );
      throw new ApiError(400, "invalid toxic type");
    }
    const name = str(b, "name", "ToxicWrapper") || `${type}_${streamRaw}`;
    if (e.toxics.some((t) => t.name === name)) throw new ApiError(409, "toxic already exists");
    const toxicity = this.toxicity(field(b, "toxicity"), 1);
    const attrsRaw = field(b, "attributes");
    const attrs = attrsRaw === undefined || attrsRaw === null ? {} : asObject(attrsRaw, "attributes");
    const attributes = e.protocol === "http" ? httpAttributes(type, attrs) : tcpAttributes(type, attrs);
    const toxic: ToxicSpec = { name, type, stream: stream as Stream, toxicity, attributes };
    e.toxics.push(toxic);
    const lease = field(b, "lease_ms");
    if (typeof lease === "number" && lease > 0) e.leases.set(name, performance.now() + lease);
    e.impl.toxicAdded(toxic);
    this.metrics?.toxics(e.name, e.toxics.length);
    return toxicJson(toxic);
  }

  updateToxic(proxy: string, toxicName: string, body: unknown): ToxicJson {
    const e = this.entry(proxy);
    const i = e.toxics.findIndex((t) => t.name === toxicName);
    const current = e.toxics[i];
    if (!current) throw new ApiError(404, "toxic not found");
    const b = asObject(body, "toxics.ToxicWrapper");
    const attrsRaw = field(b, "attributes");
    const attrs = attrsRaw === undefined || attrsRaw === null ? {} : asObject(attrsRaw, "attributes");
    // Only attributes (merged) and toxicity are read on update; name, type and stream stay.
    const attributes =
      e.protocol === "http"
        ? httpAttributes(current.type, attrs, current.attributes)
        : tcpAttributes(current.type, attrs, current.attributes);
    const toxicity = this.toxicity(field(b, "toxicity"), current.toxicity);
    const updated: ToxicSpec = { ...current, attributes, toxicity };
    e.toxics[i] = updated;
    e.impl.toxicUpdated(updated);
    return toxicJson(updated);
  }

  removeToxic(proxy: string, toxicName: string): void {
    const e = this.entry(proxy);
    const t = e.toxics.find((x) => x.name === toxicName);
    if (!t) throw new ApiError(404, "toxic not found");
    this.dropToxic(e, t);
  }

  renewLease(proxy: string, toxicName: string, ms: number): void {
    const e = this.entry(proxy);
    if (!e.toxics.some((t) => t.name === toxicName)) throw new ApiError(404, "toxic not found");
    e.leases.set(toxicName, performance.now() + ms);
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    for (const e of this.entries.values()) await e.impl.stop();
    this.entries.clear();
  }

  private toxicity(v: unknown, fallback: number): number {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number")
      throw new ApiError(
        400,
        `bad request body: json: cannot unmarshal ${typeof v} into Go struct field ToxicWrapper.toxicity of type float32`,
      );
    return v;
  }

  /** A toxic whose lease was not renewed belongs to a runner that died: remove it. */
  private sweepLeases(): void {
    const now = performance.now();
    for (const e of this.entries.values()) {
      for (const [name, until] of e.leases) {
        if (until > now) continue;
        const t = e.toxics.find((x) => x.name === name);
        if (t) this.dropToxic(e, t);
        e.leases.delete(name);
      }
    }
  }

  private dropToxic(e: Entry, t: ToxicSpec): void {
    e.toxics = e.toxics.filter((x) => x !== t);
    e.leases.delete(t.name);
    e.impl.toxicRemoved(t);
    this.metrics?.toxics(e.name, e.toxics.length);
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new ApiError(404, "proxy not found");
    return e;
  }

  private makeImpl(name: string, upstream: string, protocol: "tcp" | "http"): TcpProxy | HttpProxy {
    const toxics = () => this.entries.get(name)?.toxics ?? [];
    const counters = {
      received: (direction: "upstream" | "downstream", n: number) =>
        this.metrics?.received(name, direction, n),
      bytes: (direction: "upstream" | "downstream", n: number) => this.metrics?.sent(name, direction, n),
      connections: (delta: number) => this.metrics?.connections(name, delta),
    };
    return protocol === "http"
      ? new HttpProxy(upstream, toxics, counters)
      : new TcpProxy(upstream, toxics, counters);
  }

  private async startEntry(e: Entry): Promise<void> {
    try {
      e.shownListen = await e.impl.start(e.listen);
    } catch (err) {
      const ne = err as NodeJS.ErrnoException;
      const { message } = ne;
      throw new ApiError(
        500,
        `listen tcp ${e.listen}: ${ne.code === "EADDRINUSE" ? "bind: address already in use" : message}`,
      );
    }
  }

  private toxicsJson(e: Entry): ToxicJson[] {
    return [
      ...e.toxics.filter((t) => t.stream === "upstream"),
      ...e.toxics.filter((t) => t.stream === "downstream"),
    ].map(toxicJson);
  }

  private json(e: Entry): ProxyJson {
    return {
      name: e.name,
      listen: e.shownListen,
      upstream: e.upstream,
      enabled: e.enabled,
      toxics: this.toxicsJson(e),
      ...(e.protocol === "http" ? { protocol: "http" as const } : {}),
    };
  }
}

function toxicJson(t: ToxicSpec): ToxicJson {
  return { attributes: t.attributes, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}
