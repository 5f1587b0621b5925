import { dirname, resolve } from "node:path";
import { z } from "zod";
import {
  type ExperimentSpec,
  HYPOTHESIS_STRATEGIES,
  type RawActivity,
  ROLLBACK_STRATEGIES,
  type RuntimeSpec,
  type SloHypothesis,
} from "../core/experiment.js";
import { parseHostPort } from "../core/host-port.js";
import { parseActivity } from "./activity.js";
import { detectKind } from "./detect.js";
import type { Diagnostic } from "./diagnostic.js";
import { check, checkKeys, isRecord, type Reporter, scoped } from "./reporter.js";
import { diagnosticAt, type Path, positionOf, type SourceDoc } from "./source.js";
import { readBool, readDuration } from "./values.js";

export const CTK_TOP = [
  "title",
  "description",
  "tags",
  "contributions",
  "steady-state-hypothesis",
  "method",
  "rollbacks",
  "configuration",
  "secrets",
  "controls",
  "extensions",
  "runtime",
  "version",
  "dry",
];
const NATIVE_TOP = ["apiVersion", "kind", "metadata", "spec"];
export const NATIVE_SPEC_EXTRA = ["proxies", "proxy-api", "dns"];
export const PROXY_KEYS = ["name", "listen", "upstream", "enabled", "protocol", "toxics"];
export const HYPOTHESIS_KEYS = ["title", "probes", "controls", "slo"];

const envRef = z.looseObject({
  type: z.literal("env"),
  key: z.string().min(1),
  default: z.unknown().optional(),
  env_var_type: z.string().optional(),
});
const configValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);
const contributions = z.record(z.string(), z.enum(["high", "medium", "low", "none"]));
const tags = z.array(z.string().min(1, "expected a non-empty tag"));
const extension = z.looseObject({ name: z.string().min(1) });
const control = z.looseObject({
  name: z.string().min(1),
  provider: z.looseObject({ type: z.string() }).optional(),
});

function reporterFor(
  src: SourceDoc,
  diagnostics: Diagnostic[],
  deferVars: boolean,
  base: Path,
  strict = false,
): Reporter {
  return {
    deferVars,
    strict,
    error: (path, message, onKey) =>
      diagnostics.push(diagnosticAt(src, [...base, ...path], message, "error", onKey)),
    warn: (path, message, onKey) =>
      diagnostics.push(diagnosticAt(src, [...base, ...path], message, "warning", onKey)),
  };
}

/** Validates one experiment document (CTK or native) and normalises it to the engine's model. */
export function readExperiment(src: SourceDoc): { spec?: ExperimentSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const kind = detectKind(src.value);
  if (kind.kind === "unknown") {
    diagnostics.push(diagnosticAt(src, [], kind.reason));
    return { diagnostics };
  }
  let body: Record<string, unknown>;
  let base: Path = [];
  const native = kind.kind === "native";
  const top = src.value as Record<string, unknown>;
  if (native) {
    const r = reporterFor(src, diagnostics, true, [], true);
    checkKeys(top, NATIVE_TOP, [], r);
    if (top.apiVersion !== "withstand/v1")
      r.error(["apiVersion"], `got ${JSON.stringify(top.apiVersion)} (expected withstand/v1)`);
    if (kind.nativeKind !== "Experiment") {
      const command = { LoadTest: "withstand load FILE", Rollout: "withstand rollout FILE" }[kind.nativeKind];
      r.error(
        ["kind"],
        `got ${JSON.stringify(top.kind)} (expected Experiment for withstand run${command ? `; a ${kind.nativeKind} runs with \`${command}\`` : ""})`,
      );
      return { diagnostics };
    }
    if (!isRecord(top.spec)) {
      r.error(["spec"], "is required (expected a mapping with method, steady-state-hypothesis, ...)");
      return { diagnostics };
    }
    body = top.spec;
    base = ["spec"];
    const meta = isRecord(top.metadata) ? top.metadata : {};
    if (body.title === undefined && typeof meta.name === "string") body = { ...body, title: meta.name };
  } else {
    body = top;
  }
  const r = reporterFor(src, diagnostics, true, base, native);
  checkKeys(
    body,
    native ? [...CTK_TOP.filter((k) => k !== "version"), ...NATIVE_SPEC_EXTRA] : CTK_TOP,
    [],
    r,
  );
  const proxies: Record<string, unknown>[] = [];
  if (native && body.proxies !== undefined) {
    if (!Array.isArray(body.proxies))
      r.error(["proxies"], "expected a list of {name, listen, upstream, protocol, toxics}");
    else
      body.proxies.forEach((p, i) => {
        if (!isRecord(p)) {
          r.error(["proxies", i], "expected {name, listen, upstream}");
          return;
        }
        checkKeys(p, PROXY_KEYS, ["proxies", i], r);
        if (typeof p.name !== "string" || p.name === "")
          r.error(["proxies", i, "name"], "is required (expected a proxy name)");
        if (typeof p.upstream !== "string" || (!/:\d+$/.test(p.upstream) && !/\$\{/.test(p.upstream)))
          r.error(["proxies", i, "upstream"], "is required (expected host:port)");
        if (p.listen !== undefined && typeof p.listen !== "string")
          r.error(["proxies", i, "listen"], "expected host:port (port 0 picks a free one)");
        proxies.push(p);
      });
  }
  const proxyApi = native && body["proxy-api"] !== undefined ? String(body["proxy-api"]) : undefined;
  if (proxyApi !== undefined && !/^https?:\/\//.test(proxyApi) && !/\$\{/.test(proxyApi))
    r.error(
      ["proxy-api"],
      `got ${JSON.stringify(proxyApi)} (expected the URL of a withstand proxy or Toxiproxy API, e.g. http://127.0.0.1:8474)`,
    );
  if (proxyApi !== undefined && proxies.length > 0)
    r.error(
      ["proxy-api"],
      "cannot be combined with proxies (expected in-process proxies or a proxy API, not both)",
    );

  const dns = native && body.dns !== undefined ? readDnsServer(body.dns, scoped(r, ["dns"])) : undefined;

  const title = typeof body.title === "string" && body.title !== "" ? body.title : undefined;
  if (title === undefined)
    r.error(
      ["title"],
      body.title === undefined ? "is required (expected a short title)" : "expected a non-empty string",
    );
  if (body.description !== undefined && typeof body.description !== "string")
    r.error(["description"], "expected a string");
  const tagList = body.tags === undefined ? [] : (check(tags, body.tags, ["tags"], r) ?? []);
  if (body.contributions !== undefined) check(contributions, body.contributions, ["contributions"], r);

  const configuration: Record<string, unknown> = {};
  if (body.configuration !== undefined) {
    if (!isRecord(body.configuration)) r.error(["configuration"], "expected a mapping of names to values");
    else
      for (const [key, value] of Object.entries(body.configuration)) {
        if (isRecord(value) && "type" in value) {
          if (value.type === "env") check(envRef, value, ["configuration", key], r);
          else
            r.error(
              ["configuration", key, "type"],
              `got ${JSON.stringify(value.type)} (expected env; dynamic probe configuration is not supported)`,
            );
        } else check(configValue, value, ["configuration", key], r);
        configuration[key] = value;
      }
  }
  const secrets: Record<string, Record<string, unknown>> = {};
  if (body.secrets !== undefined) {
    if (!isRecord(body.secrets))
      r.error(["secrets"], "expected a mapping of scopes to {name: value or {type: env, key}}");
    else
      for (const [scope, values] of Object.entries(body.secrets)) {
        if (!isRecord(values)) {
          r.error(["secrets", scope], "expected a mapping of names to values");
          continue;
        }
        for (const [key, value] of Object.entries(values)) {
          if (isRecord(value)) {
            if (value.type === "env") check(envRef, value, ["secrets", scope, key], r);
            else
              r.error(
                ["secrets", scope, key, "type"],
                `got ${JSON.stringify(value.type)} (expected env; vault secrets are not supported)`,
              );
          }
        }
        secrets[scope] = values;
      }
  }
  for (const listKey of ["controls", "extensions"] as const) {
    const list = body[listKey];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      r.error([listKey], "expected a list");
      continue;
    }
    list.forEach((item, i) => {
      check(listKey === "controls" ? control : extension, item, [listKey, i], r);
      if (
        listKey === "controls" &&
        isRecord(item) &&
        isRecord(item.provider) &&
        item.provider.type === "python"
      ) {
        r.error(
          [listKey, i, "provider", "type"],
          `control "${String(item.name)}" is a python control, which withstand cannot run (expected none; use withstand's own safety features, e.g. --deadline, or a process provider)`,
        );
      } else
        r.warn(
          [listKey, i],
          `${listKey === "controls" ? "control" : "extension"} accepted but not interpreted by withstand`,
        );
    });
  }
  const runtime = readRuntime(body.runtime, scoped(r, ["runtime"]));

  const activitiesAt = (key: "method" | "rollbacks", role: "method" | "rollback"): RawActivity[] => {
    const list = body[key];
    if (list === undefined) {
      if (key === "method") r.error(["method"], "is required (expected a list of activities, may be empty)");
      return [];
    }
    if (!Array.isArray(list)) {
      r.error([key], "expected a list of activities");
      return [];
    }
    return list.flatMap((item, i) => readRaw(src, [...base, key, i], item, r, native, role, defined));
  };

  const defined = new Map<string, Record<string, unknown>>();
  let hypothesis: ExperimentSpec["hypothesis"];
  const ssh = body["steady-state-hypothesis"];
  if (ssh !== undefined) {
    if (!isRecord(ssh)) r.error(["steady-state-hypothesis"], "expected a mapping {title, probes}");
    else {
      checkKeys(ssh, HYPOTHESIS_KEYS, ["steady-state-hypothesis"], r);
      const sshTitle = typeof ssh.title === "string" ? ssh.title : "";
      if (typeof ssh.title !== "string")
        r.error(["steady-state-hypothesis", "title"], "is required (expected a string)");
      const probes = ssh.probes === undefined ? [] : ssh.probes;
      if (!Array.isArray(probes)) r.error(["steady-state-hypothesis", "probes"], "expected a list of probes");
      const raws = Array.isArray(probes)
        ? probes.flatMap((p, i) =>
            readRaw(
              src,
              [...base, "steady-state-hypothesis", "probes", i],
              p,
              r,
              native,
              "hypothesis",
              defined,
            ),
          )
        : [];
      let slo: SloHypothesis | undefined;
      if (ssh.slo !== undefined) {
        const at: Path = ["steady-state-hypothesis", "slo"];
        if (!native)
          r.error(at, "an SLO hypothesis is a withstand extension (expected apiVersion: withstand/v1)");
        else if (!isRecord(ssh.slo)) r.error(at, "expected {file, name, max-budget-burn}");
        else {
          checkKeys(ssh.slo, ["file", "name", "max-budget-burn"], at, r);
          const file = typeof ssh.slo.file === "string" ? ssh.slo.file : undefined;
          const name = typeof ssh.slo.name === "string" ? ssh.slo.name : undefined;
          if (!file)
            r.error(
              [...at, "file"],
              "is required (expected an OpenSLO v1 file, relative to this experiment)",
            );
          if (!name)
            r.error([...at, "name"], "is required (expected the metadata.name of an SLO in that file)");
          const raw = ssh.slo["max-budget-burn"] ?? "2%";
          const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(String(raw));
          const share = m ? Number(m[1]) / 100 : typeof raw === "number" ? raw : Number.NaN;
          if (!(share > 0 && share <= 1))
            r.error(
              [...at, "max-budget-burn"],
              `got ${JSON.stringify(raw)} (expected a share of the budget such as 2%)`,
            );
          const { line, col } = positionOf(src, [...base, ...at]);
          if (file && name && share > 0)
            slo = {
              file: resolve(dirname(src.file), file),
              name,
              maxBudgetBurn: share,
              loc: `${src.file}:${line}:${col}`,
            };
        }
      }
      hypothesis = { title: sshTitle, probes: raws, slo };
    }
  }
  const method = activitiesAt("method", "method");
  const rollbacks = activitiesAt("rollbacks", "rollback");

  if (diagnostics.some((d) => d.severity === "error") || title === undefined) return { diagnostics };
  return {
    spec: {
      flavour: native ? "native" : "ctk",
      title,
      description: typeof body.description === "string" ? body.description : undefined,
      tags: tagList,
      configuration,
      secrets,
      hypothesis,
      method,
      rollbacks,
      runtime,
      proxies,
      proxyApi,
      ...(dns ? { dns } : {}),
      raw: top,
      file: src.file,
    },
    diagnostics,
  };
}

/** Resolves `{ref: name}` and validates the activity once with placeholders allowed. */
function readRaw(
  src: SourceDoc,
  absPath: Path,
  item: unknown,
  parent: Reporter,
  native: boolean,
  role: "hypothesis" | "method" | "rollback",
  defined: Map<string, Record<string, unknown>>,
): RawActivity[] {
  const rel = absPath.slice(native ? 1 : 0);
  const r = scoped(parent, rel);
  const { line, col } = positionOf(src, absPath);
  const loc = `${src.file}:${line}:${col}`;
  let raw = item;
  let reporter = r;
  // chaoslib treats any mapping with `ref` as a reference, whatever else it carries (Chaos Toolkit's
  // docs write `{"type": "probe", "ref": "app-up"}`): the other keys are not read.
  if (isRecord(item) && "ref" in item) {
    if (typeof item.ref !== "string" || item.ref === "") {
      r.error(["ref"], `got ${JSON.stringify(item.ref)} (expected the name of an earlier activity)`);
      return [];
    }
    for (const key of Object.keys(item))
      if (key !== "ref" && key !== "type") {
        const message = `is not read on a reference (the activity named ${JSON.stringify(item.ref)} runs as defined)`;
        if (native) r.error([key], `${message}; expected only ref`, true);
        else r.warn([key], `${message}, ignored`, true);
      }
    const target = defined.get(item.ref);
    if (!target) {
      r.error(
        ["ref"],
        `no activity named ${JSON.stringify(item.ref)} is defined before this one (expected the name of an earlier activity)`,
      );
      return [];
    }
    raw = target;
    // The referenced activity was already checked where it is defined; only errors of its new role matter.
    reporter = { ...r, warn: () => undefined };
  }
  const activity = parseActivity(raw, reporter, { native, role, loc });
  if (!activity || !isRecord(raw)) return [];
  if (!defined.has(activity.name)) defined.set(activity.name, raw);
  return [{ raw, loc }];
}

function readRuntime(raw: unknown, r: Reporter): RuntimeSpec {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    r.error([], "expected a mapping {rollbacks: {strategy}, hypothesis: {strategy, frequency, fail_fast}}");
    return {};
  }
  checkKeys(raw, ["rollbacks", "hypothesis"], [], r);
  const out: RuntimeSpec = {};
  if (isRecord(raw.rollbacks)) {
    checkKeys(raw.rollbacks, ["strategy"], ["rollbacks"], r);
    const s = raw.rollbacks.strategy;
    if (s !== undefined) {
      if (ROLLBACK_STRATEGIES.includes(s as never))
        out.rollbackStrategy = s as RuntimeSpec["rollbackStrategy"];
      else
        r.error(
          ["rollbacks", "strategy"],
          `got ${JSON.stringify(s)} (expected one of ${ROLLBACK_STRATEGIES.join(", ")})`,
        );
    }
  }
  if (isRecord(raw.hypothesis)) {
    checkKeys(raw.hypothesis, ["strategy", "frequency", "fail_fast"], ["hypothesis"], r);
    const s = raw.hypothesis.strategy;
    if (s !== undefined) {
      if (HYPOTHESIS_STRATEGIES.includes(s as never))
        out.hypothesisStrategy = s as RuntimeSpec["hypothesisStrategy"];
      else
        r.error(
          ["hypothesis", "strategy"],
          `got ${JSON.stringify(s)} (expected one of ${HYPOTHESIS_STRATEGIES.join(", ")})`,
        );
    }
    if (raw.hypothesis.frequency !== undefined)
      out.hypothesisFrequencyMs = readDuration(raw.hypothesis.frequency, ["hypothesis", "frequency"], r);
    if (raw.hypothesis.fail_fast !== undefined)
      out.failFast = readBool(raw.hypothesis.fail_fast, ["hypothesis", "fail_fast"], r);
  }
  return out;
}

/** `dns: {listen, upstream, records}`: a withstand DNS server started inside the run for its dns faults. */
function readDnsServer(raw: unknown, r: Reporter): ExperimentSpec["dns"] {
  if (!isRecord(raw)) {
    r.error([], "expected {listen: HOST:PORT, upstream: HOST:PORT|none, records: {NAME: ADDRESS}}");
    return undefined;
  }
  checkKeys(raw, ["listen", "upstream", "records"], [], r);
  const listen =
    raw.listen === undefined
      ? { host: "127.0.0.1", port: 5353 }
      : typeof raw.listen === "string"
        ? parseHostPort(raw.listen)
        : undefined;
  if (!listen)
    r.error(["listen"], `got ${JSON.stringify(raw.listen)} (expected HOST:PORT, e.g. 127.0.0.1:5353)`);
  const upstream =
    raw.upstream === undefined
      ? "system"
      : raw.upstream === "none"
        ? "none"
        : typeof raw.upstream === "string"
          ? parseHostPort(raw.upstream, 53)
          : undefined;
  if (!upstream)
    r.error(
      ["upstream"],
      `got ${JSON.stringify(raw.upstream)} (expected HOST:PORT, or none to answer only the records)`,
    );
  const records: Record<string, string[]> = {};
  if (raw.records !== undefined) {
    if (!isRecord(raw.records)) r.error(["records"], "expected a mapping of names to addresses");
    else
      for (const [name, v] of Object.entries(raw.records)) {
        const list = Array.isArray(v) ? v.map(String) : [String(v)];
        if (list.some((a) => !/^[0-9a-f.:]+$/i.test(a)))
          r.error(["records", name], `got ${JSON.stringify(v)} (expected an IP address or a list of them)`);
        records[name] = list;
      }
  }
  return listen && upstream ? { listen, upstream, records } : undefined;
}
