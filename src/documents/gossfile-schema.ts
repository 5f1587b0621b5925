import { z } from "zod";

/**
 * A Gossfile's top level as Goss reads it: one mapping per resource type (Goss's documented list),
 * each of resource ids to attributes. The attributes are checked by `check`/`validate` per type
 * (checks/); here a misspelt type (`comand:`) is refused, in the JSON Schema editors get too.
 */
export const GOSS_TYPES = [
  "addr",
  "command",
  "dns",
  "file",
  "gossfile",
  "group",
  "http",
  "interface",
  "kernel-param",
  "matching",
  "mount",
  "package",
  "port",
  "process",
  "registry",
  "service",
  "user",
] as const;

const resources = z.record(z.string(), z.union([z.record(z.string(), z.unknown()), z.null()]));

export const GOSSFILE = z.strictObject(
  Object.fromEntries(GOSS_TYPES.map((t) => [t, resources.optional()])) as Record<
    (typeof GOSS_TYPES)[number],
    z.ZodOptional<typeof resources>
  >,
);

const NATIVE_KEYS = ["apiVersion", "kind", "title", "method", "steady-state-hypothesis"];

/** A mapping with at least one Goss resource type and none of an experiment's keys. */
export function looksLikeGossfileTop(top: Record<string, unknown>): boolean {
  const keys = Object.keys(top);
  return (
    keys.some((k) => (GOSS_TYPES as readonly string[]).includes(k)) &&
    !keys.some((k) => NATIVE_KEYS.includes(k))
  );
}
