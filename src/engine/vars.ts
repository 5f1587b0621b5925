import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { UsageError } from "../core/errors.js";
import { isRecord } from "../documents/reporter.js";

export { UsageError };

/** `--var key=value`, `--var key:int=3`, `--var key:float=0.5` (CTK's syntax). */
export function parseVar(text: string): [string, unknown] {
  const eq = text.indexOf("=");
  if (eq <= 0)
    throw new UsageError(`--var ${text}: expected KEY=VALUE (optionally KEY:int=VALUE or KEY:float=VALUE)`);
  const left = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  const [key = "", type] = left.split(":");
  switch (type) {
    case undefined:
    case "str":
      return [key, raw];
    case "int": {
      if (!/^-?\d+$/.test(raw))
        throw new UsageError(`--var ${text}: ${JSON.stringify(raw)} is not an integer`);
      return [key, Number.parseInt(raw, 10)];
    }
    case "float": {
      const n = Number(raw);
      if (raw.trim() === "" || Number.isNaN(n))
        throw new UsageError(`--var ${text}: ${JSON.stringify(raw)} is not a number`);
      return [key, n];
    }
    default:
      throw new UsageError(
        `--var ${text}: unknown type ${JSON.stringify(type)} (expected int, float or str)`,
      );
  }
}

/**
 * `--var-file`: JSON or YAML `{configuration, secrets}` (or a flat mapping) sets configuration and
 * secrets; a `.env` file sets environment variables, as Chaos Toolkit's `load_dotenv` does, so
 * `{type: env, key: ...}` configuration and secrets read it.
 */
export function readVarFile(file: string): {
  configuration: Record<string, unknown>;
  secrets: Record<string, unknown>;
  env: Record<string, string>;
} {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(
      `--var-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (file.endsWith(".env") || /(^|\/)\.env/.test(file)) {
    const env: Record<string, string> = {};
    text.split("\n").forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) return;
      const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(trimmed);
      if (!m) throw new UsageError(`--var-file ${file}:${i + 1}:1: expected KEY=VALUE`);
      env[m[1] ?? ""] = (m[2] ?? "").replace(/^(['"])(.*)\1$/, "$2");
    });
    return { configuration: {}, secrets: {}, env };
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new UsageError(`--var-file ${file}: cannot parse: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isRecord(data))
    throw new UsageError(`--var-file ${file}: expected a mapping {configuration, secrets}`);
  if (isRecord(data.configuration) || isRecord(data.secrets)) {
    const secrets: Record<string, unknown> = {};
    if (isRecord(data.secrets)) {
      for (const [k, v] of Object.entries(data.secrets)) {
        if (isRecord(v)) Object.assign(secrets, v);
        else secrets[k] = v;
      }
    }
    return { configuration: isRecord(data.configuration) ? data.configuration : {}, secrets, env: {} };
  }
  return { configuration: data, secrets: {}, env: {} };
}
