import { ConfigError } from "../core/errors.js";
import type { ExperimentSpec } from "../core/experiment.js";
import { isRecord } from "../documents/reporter.js";

export { ConfigError };

function castEnv(raw: string, type: unknown): unknown {
  switch (type) {
    case "int":
      return Number.parseInt(raw, 10);
    case "float":
      return Number.parseFloat(raw);
    case "json":
      return JSON.parse(raw);
    default:
      return raw;
  }
}

function resolveValue(value: unknown, where: string, env: NodeJS.ProcessEnv): unknown {
  if (isRecord(value) && value.type === "env" && typeof value.key === "string") {
    const raw = env[value.key];
    if (raw !== undefined) return castEnv(raw, value.env_var_type);
    if ("default" in value) return value.default;
    throw new ConfigError(
      `${where}: environment variable ${value.key} is not set and has no default (expected it set, or a default)`,
    );
  }
  return value;
}

export interface Resolved {
  configuration: Record<string, unknown>;
  secrets: Record<string, unknown>;
  /** Secret values as text, for redaction. */
  secretValues: string[];
}

/** Resolves `{type: env}` values; `overrides` (from --var/--var-file) win over the experiment's configuration. */
export function resolveConfiguration(
  spec: ExperimentSpec,
  overrides: { configuration: Record<string, unknown>; secrets: Record<string, unknown> },
  env: NodeJS.ProcessEnv = process.env,
): Resolved {
  const configuration: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.configuration))
    configuration[k] = resolveValue(v, `${spec.file}: configuration.${k}`, env);
  Object.assign(configuration, overrides.configuration);
  const secrets: Record<string, unknown> = {};
  for (const [scope, values] of Object.entries(spec.secrets)) {
    for (const [k, v] of Object.entries(values))
      secrets[k] = resolveValue(v, `${spec.file}: secrets.${scope}.${k}`, env);
  }
  Object.assign(secrets, overrides.secrets);
  const secretValues = Object.values(secrets).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
  return { configuration, secrets, secretValues };
}
