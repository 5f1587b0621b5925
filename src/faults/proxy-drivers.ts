import type { ToxicBody } from "../core/experiment.js";
import type { RevertAction } from "../core/fault.js";
import type { ProxyDriver } from "../core/proxy-driver.js";
import type { ProxyCollection } from "../proxy/collection.js";

/** How long a toxic created through a proxy API lives without renewal: a crashed runner's toxics expire. */
export const TOXIC_LEASE_MS = 5000;

export type { ProxyDriver };

export class LocalProxyDriver implements ProxyDriver {
  readonly describe = "in-process proxies";
  constructor(readonly collection: ProxyCollection) {}
  async addToxic(proxy: string, toxic: ToxicBody & { name: string }): Promise<void> {
    this.collection.addToxic(proxy, toxic);
  }
  async removeToxic(proxy: string, name: string): Promise<void> {
    try {
      this.collection.removeToxic(proxy, name);
    } catch {
      // Already gone.
    }
  }
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.collection.update(proxy, { enabled });
  }
  revertToxic(): RevertAction {
    return { type: "none" };
  }
  revertDown(): RevertAction {
    return { type: "none" };
  }
}

export class ApiProxyDriver implements ProxyDriver {
  readonly describe: string;
  constructor(private readonly base: string) {
    this.describe = `proxy API ${base}`;
  }
  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { "content-type": "application/json", "user-agent": "withstand" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new Error(`proxy API ${this.base} unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {}
      throw new Error(`proxy API ${method} ${path}: ${res.status} ${message}`);
    }
    return text ? JSON.parse(text) : undefined;
  }
  async addToxic(proxy: string, toxic: ToxicBody & { name: string }): Promise<void> {
    await this.call("POST", `/proxies/${encodeURIComponent(proxy)}/toxics`, {
      ...toxic,
      lease_ms: TOXIC_LEASE_MS,
    });
  }
  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call(
      "DELETE",
      `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`,
    ).catch(() => undefined);
  }
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call("POST", `/proxies/${encodeURIComponent(proxy)}`, { enabled });
  }
  async renew(proxy: string, name: string): Promise<void> {
    await this.call(
      "POST",
      `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}/lease`,
      { lease_ms: TOXIC_LEASE_MS },
    );
  }
  revertToxic(proxy: string, name: string): RevertAction {
    return {
      type: "http",
      method: "DELETE",
      url: `${this.base}/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`,
    };
  }
  revertDown(proxy: string): RevertAction {
    return {
      type: "http",
      method: "POST",
      url: `${this.base}/proxies/${encodeURIComponent(proxy)}`,
      body: { enabled: true },
    };
  }
}
