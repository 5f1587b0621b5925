import { randomBytes } from "node:crypto";
import { ConfigError } from "../core/errors.js";
import type { ToxicBody } from "../core/experiment.js";
import type { FaultContext, FaultHooks } from "../core/fault-kind.js";
import type { ProxyDriver } from "../core/proxy-driver.js";
import type { ServiceLookup } from "../core/service.js";

/** What the network and http-fault kinds share: driving a toxic (or a proxy's state) through the run's proxies. */
export function driverOf(ctx: { services: ServiceLookup; loc: string }): ProxyDriver {
  const driver = ctx.services.get<ProxyDriver>("proxies");
  if (!driver)
    throw new ConfigError(
      `${ctx.loc}: fault.proxy: no proxies to drive (expected a proxies: section or proxy-api: URL in the experiment's spec)`,
    );
  return driver;
}

const proxyTarget = (driver: ProxyDriver, proxy: string) => ({
  kind: "proxy" as const,
  id: proxy,
  label: `via ${driver.describe}`,
});

/** Fails with the location when the proxy refuses (no such proxy, API unreachable): a set-up error, not a result. */
async function applying(ctx: FaultContext, apply: () => Promise<void>): Promise<void> {
  try {
    await apply();
  } catch (err) {
    throw new ConfigError(`${ctx.loc}: fault: ${(err as Error).message}`, { cause: err });
  }
}

export async function addToxic(
  kind: string,
  proxy: string,
  toxic: ToxicBody,
  durationMs: number | undefined,
  ctx: FaultContext,
): Promise<Record<string, unknown>> {
  const driver = driverOf(ctx);
  const name = toxic.name ?? `${ctx.activity}-${randomBytes(3).toString("hex")}`;
  const body = { ...toxic, name };
  const local = driver.revertToxic(proxy, name).type === "none";
  const hooks: FaultHooks = {
    localRevert: local ? () => driver.removeToxic(proxy, name) : undefined,
    renew: driver.renew ? () => driver.renew?.(proxy, name) ?? Promise.resolve() : undefined,
  };
  const record = await ctx.registry.inject(
    {
      kind: `${kind}:${toxic.type}`,
      activity: ctx.activity,
      targets: [proxyTarget(driver, proxy)],
      revert: driver.revertToxic(proxy, name),
    },
    () => applying(ctx, () => driver.addToxic(proxy, body)),
    hooks,
  );
  if (durationMs !== undefined) ctx.registry.revertAfter(record.id, durationMs);
  return {
    fault: kind,
    proxy,
    toxic: body,
    ...(durationMs !== undefined ? { revert_after_ms: durationMs } : {}),
  };
}

export async function takeDown(
  proxy: string,
  durationMs: number | undefined,
  ctx: FaultContext,
): Promise<Record<string, unknown>> {
  const driver = driverOf(ctx);
  const revert = driver.revertDown(proxy);
  const record = await ctx.registry.inject(
    { kind: "network-down", activity: ctx.activity, targets: [proxyTarget(driver, proxy)], revert },
    () => applying(ctx, () => driver.setEnabled(proxy, false)),
    { localRevert: revert.type === "none" ? () => driver.setEnabled(proxy, true) : undefined },
  );
  if (durationMs !== undefined) ctx.registry.revertAfter(record.id, durationMs);
  return {
    fault: "network",
    proxy,
    down: true,
    ...(durationMs !== undefined ? { revert_after_ms: durationMs } : {}),
  };
}
