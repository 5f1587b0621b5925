import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import type { ExperimentSpec, RawActivity, SloHypothesis } from "../core/experiment.js";
import { parseActivity } from "./activity.js";
import { detectKind } from "./detect.js";
import type { Diagnostic } from "./diagnostic.js";
import {
  CTK_TOP,
  configurationSchema,
  dnsSchema,
  NATIVE_SPEC_EXTRA,
  proxySchema,
  runtimeSchema,
  secretsSchema,
  sloHypothesisSchema,
} from "./experiment-schema.js";
import { readLab } from "./lab.js";
import { check, checkKeys, isRecord, type Reporter, scoped } from "./reporter.js";
import { diagnosticAt, type Path, parseSource, positionOf, type SourceDoc } from "./source.js";

const NATIVE_TOP = ["apiVersion", "kind", "metadata", "spec"];

export { CTK_TOP, NATIVE_SPEC_EXTRA };
export const PROXY_KEYS = Object.keys(proxySchema.shape);
export const HYPOTHESIS_KEYS = ["title", "probes", "controls", "slo"];

const contributions = z.record(z.string(), z.enum(["high", "medium", "low", "none"]));
const tags = z.array(z.string().min(1, "expected a non-empty tag"));
const extension = z.looseObject({ name: z.string().min(1) });
const control = z.looseObject({
  name: z.string().min(1),
  provider: z.looseObject({ type: z.string() }).optional(),
});
const hypothesisShape = z.strictObject({
  title: z.unknown().refine((v) => typeof v === "string", {
    error: (i) =>
      i.input === undefined
        ? "is required (expected a string)"
        : `got ${JSON.stringify(i.input)} (expected a string)`,
  }),
  probes: z
    .unknown()
    .refine((v) => Array.isArray(v), { error: "expected a list of probes" })
    .optional(),
  controls: z.unknown().optional(),
  slo: z.unknown().optional(),
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
        // The engine starts each proxy from the mapping as written.
        if (check(proxySchema, p, ["proxies", i], r, { ctkKeys: true }) !== undefined && isRecord(p))
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

  const dns =
    native && body.dns !== undefined ? check(dnsSchema, body.dns, ["dns"], r, { ctkKeys: true }) : undefined;

  if (native && body.lab !== undefined && (typeof body.lab !== "string" || body.lab === ""))
    r.error(["lab"], "expected the path of a kind: Lab file, relative to this file");
  const lab =
    native && typeof body.lab === "string" && body.lab !== ""
      ? resolve(dirname(src.file), body.lab)
      : undefined;
  // The lab file is checked with the experiment, so its mistakes show at validate time, at its own lines.
  if (lab !== undefined && !/\$\{/.test(lab) && !/^https?:/.test(src.file))
    diagnostics.push(...checkLabFile(lab, r));

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
    else {
      check(configurationSchema, body.configuration, ["configuration"], r);
      Object.assign(configuration, body.configuration);
    }
  }
  const secrets: Record<string, Record<string, unknown>> = {};
  if (body.secrets !== undefined) {
    if (!isRecord(body.secrets))
      r.error(["secrets"], "expected a mapping of scopes to {name: value or {type: env, key}}");
    else {
      check(secretsSchema, body.secrets, ["secrets"], r);
      for (const [scope, values] of Object.entries(body.secrets))
        if (isRecord(values)) secrets[scope] = values;
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
  const runtime =
    body.runtime === undefined
      ? {}
      : (check(runtimeSchema, body.runtime, ["runtime"], r, { ctkKeys: true }) ?? {});

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
      check(hypothesisShape, ssh, ["steady-state-hypothesis"], r, { ctkKeys: true });
      const sshTitle = typeof ssh.title === "string" ? ssh.title : "";
      const probes = ssh.probes === undefined ? [] : ssh.probes;
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
        const read = native
          ? check(sloHypothesisSchema, ssh.slo, at, r, { ctkKeys: true })
          : r.error(at, "an SLO hypothesis is a withstand extension (expected apiVersion: withstand/v1)");
        if (read && typeof read.file === "string") {
          const { line, col } = positionOf(src, [...base, ...at]);
          slo = {
            file: resolve(dirname(src.file), read.file),
            name: read.name,
            maxBudgetBurn: read["max-budget-burn"] ?? 0.02,
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
      ...(lab ? { lab } : {}),
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

/** The diagnostics of the Lab file an experiment names (`lab:`); one that cannot be read is a warning at `lab` (the run says more). */
function checkLabFile(file: string, r: Reporter): Diagnostic[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    r.warn(
      ["lab"],
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (expected a kind: Lab file, relative to this file)`,
    );
    return [];
  }
  const parsed = parseSource(file, text);
  const first = parsed.docs[0];
  if (!first) return parsed.diagnostics;
  return [...parsed.diagnostics, ...readLab(first).diagnostics];
}
