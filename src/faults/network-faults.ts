import { randomBytes } from "node:crypto";
import type { FaultSpec, ToxicBody } from "../core/experiment.js";
import type { ProxyCollection } from "../proxy/collection.js";
import type { FaultHooks, SafetyRegistry } from "../safety/registry.js";
import type { RevertAction } from "../safety/state.js";

type NetworkFaultSpec = Extract<FaultSpec, { kind: "network" | "http-fault" }>;

/** How long a toxic created through a proxy API lives without renewal: a crashed runner's toxics expire. */
export const TOXIC_LEASE_MS = 5000;

/** Where the proxies are: in this process (the experiment's `proxies:`) or behind a proxy API. */
export interface ProxyDriver {
  describe: string;
  addToxic(proxy: string, toxic: ToxicBody & { name: string }): Promise<void>;
  removeToxic(proxy: string, name: string): Promise<void>;
  setEnabled(proxy: string, enabled: boolean): Promise<void>;
  /** For API toxics: the revert that halt and the watchdog can run without this process. */
  revertToxic(proxy: string, name: string): RevertAction;
  revertDown(proxy: string): RevertAction;
  renew?(proxy: string, name: string): Promise<void>;
}

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

export class FaultConfigError extends Error {}

/** Adds a toxic (or takes a proxy down) through the registry, so every exit path removes it. */
export async function injectNetworkFault(
  fault: NetworkFaultSpec,
  activity: string,
  registry: SafetyRegistry,
  driver: ProxyDriver | undefined,
): Promise<Record<string, unknown>> {
  if (!driver)
    throw new FaultConfigError(
      `fault.proxy: no proxies to drive (expected a proxies: section or proxy-api: URL in the experiment's spec)`,
    );
  const target = { pid: 0, command: `${driver.describe}: proxy ${fault.proxy}` };
  let record: Awaited<ReturnType<SafetyRegistry["inject"]>>;
  let output: Record<string, unknown>;
  if (fault.kind === "network" && fault.down && !fault.toxic) {
    const hooks: FaultHooks = {
      localRevert:
        driver.revertDown(fault.proxy).type === "none"
          ? () => driver.setEnabled(fault.proxy, true)
          : undefined,
    };
    record = await registry.inject(
      { kind: "network-down", activity, targets: [target], revert: driver.revertDown(fault.proxy) },
      () => driver.setEnabled(fault.proxy, false),
      hooks,
    );
    output = { fault: "network", proxy: fault.proxy, down: true };
  } else {
    const toxic = fault.toxic as ToxicBody;
    const name = toxic.name ?? `${activity}-${randomBytes(3).toString("hex")}`;
    const body = { ...toxic, name };
    const local = driver.revertToxic(fault.proxy, name).type === "none";
    const hooks: FaultHooks = {
      localRevert: local ? () => driver.removeToxic(fault.proxy, name) : undefined,
      renew: driver.renew ? () => driver.renew?.(fault.proxy, name) ?? Promise.resolve() : undefined,
    };
    record = await registry.inject(
      {
        kind: `${fault.kind}:${toxic.type}`,
        activity,
        targets: [target],
        revert: driver.revertToxic(fault.proxy, name),
      },
      () => driver.addToxic(fault.proxy, body),
      hooks,
    );
    output = { fault: fault.kind, proxy: fault.proxy, toxic: body };
  }
  if (fault.durationMs !== undefined) registry.revertAfter(record.id, fault.durationMs);
  return { ...output, ...(fault.durationMs !== undefined ? { revert_after_ms: fault.durationMs } : {}) };
}
