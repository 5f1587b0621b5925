import { isRecord } from "../core/reader.js";
import { suggest } from "../core/suggest.js";

/**
 * What a document is, from its content alone: the one place that recognises a document kind. The
 * registry (`kinds.ts`) reads each kind; `run` and `validate` both name a file that belongs to another
 * tool instead of reading it as a broken experiment.
 */
export type DocumentKind =
  | { kind: "ctk-experiment" }
  | { kind: "native"; nativeKind: string }
  | { kind: "unknown"; reason: string };

/** The kinds of `apiVersion: withstand/v1`, and the command that takes each. */
export const NATIVE_KINDS: Readonly<Record<string, string>> = {
  Experiment: "withstand run FILE",
  LoadTest: "withstand load FILE",
  Rollout: "withstand rollout FILE",
  Synthetic: "withstand synthetic FILE",
  Heartbeat: "withstand monitor FILE",
  GameDay: "withstand gameday FILE",
  Lab: "withstand lab up FILE",
};

export const ARGO_TEMPLATE_KINDS = ["AnalysisTemplate", "ClusterAnalysisTemplate"];

/** Manifests of other tools people keep beside their withstand files: what each is, and what to do. */
const FOREIGN: { group: RegExp; kind?: string; what: string; todo: string }[] = [
  {
    group: /^argoproj\.io\//,
    kind: "Rollout",
    what: "an Argo Rollouts Rollout, a Kubernetes resource withstand does not run",
    todo: "write apiVersion: withstand/v1, kind: Rollout with listen, stable and canary and the same steps (withstand schema Rollout); its AnalysisTemplates are read unchanged",
  },
  {
    group: /^argoproj\.io\//,
    what: "an Argo resource withstand does not read (it reads Argo's AnalysisTemplate and ClusterAnalysisTemplate)",
    todo: "give withstand the AnalysisTemplates with --template, and a withstand/v1 Rollout",
  },
  {
    group: /^openslo\/v1(alpha|beta)/,
    what: "an OpenSLO document of an older version",
    todo: "write it as openslo/v1, the version withstand reads",
  },
  {
    group: /^(sloth\.slok\.dev|pyrra\.dev)\//,
    what: "a Sloth or Pyrra SLO, not OpenSLO",
    todo: "write the SLO as OpenSLO v1 (apiVersion: openslo/v1, kind: SLO) for withstand slo",
  },
  {
    group: /^(chaos-mesh\.org|litmuschaos\.io)\//,
    what: "a Chaos Mesh or LitmusChaos resource, applied by its operator in Kubernetes",
    todo: "write a withstand/v1 Experiment (withstand schema Experiment) with the fault as an action",
  },
  {
    group: /^(k6\.io|flagger\.app|monitoring\.coreos\.com)\//,
    what: "a Kubernetes resource of another tool",
    todo: "withstand reads its own withstand/v1 documents, OpenSLO v1, Argo AnalysisTemplates, Chaos Toolkit experiments and Gossfiles",
  },
];

/**
 * Sloth's own spec (`version: "prometheus/v1"`, `service`, `slos`), which has no apiVersion: its
 * top-level `service:` must not make it look like a Gossfile.
 */
export function isSlothSpec(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value) || value.apiVersion !== undefined) return false;
  if (typeof value.version === "string" && /^prometheus\//.test(value.version)) return true;
  return typeof value.service === "string" && Array.isArray(value.slos);
}

/** What a Sloth spec is and what to write instead, as for its Kubernetes variant. */
export function slothSpecMessage(value: Record<string, unknown>): string {
  const version = typeof value.version === "string" ? `version: ${value.version}` : "service and slos";
  const sloth = FOREIGN.find((f) => f.group.test("sloth.slok.dev/v1"));
  return `${version} is ${sloth?.what ?? "a Sloth SLO"}: ${sloth?.todo ?? "write it as OpenSLO v1"}`;
}

/** A manifest of another tool or an unknown apiVersion: a sentence that names it and says what to do. */
export function foreignManifest(value: Record<string, unknown>): string | undefined {
  const api = value.apiVersion;
  if (typeof api !== "string") return undefined;
  const kind = typeof value.kind === "string" ? value.kind : "";
  const it = `apiVersion: ${api}${kind ? `, kind: ${kind}` : ""}`;
  if (api.startsWith("withstand/")) {
    if (api !== "withstand/v1") return `${it}: unknown version (expected apiVersion: withstand/v1)`;
    if (kind in NATIVE_KINDS) return undefined;
    const hint = suggest(kind, Object.keys(NATIVE_KINDS));
    return `${it}: unknown kind ${JSON.stringify(value.kind)} (${hint ? `did you mean ${hint}? ` : ""}expected one of ${Object.keys(NATIVE_KINDS).join(", ")})`;
  }
  if (api === "openslo/v1") return undefined;
  if (/^argoproj\.io\//.test(api) && ARGO_TEMPLATE_KINDS.includes(kind)) return undefined;
  const known = FOREIGN.find((f) => f.group.test(api) && (f.kind === undefined || f.kind === kind));
  if (known) return `${it} is ${known.what}: ${known.todo}`;
  const kube = /^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(api);
  return `${it} is ${kube ? "a Kubernetes manifest" : "an apiVersion"} withstand does not read (expected apiVersion: withstand/v1 with kind ${Object.keys(NATIVE_KINDS).join(", ")}; openslo/v1; an Argo AnalysisTemplate; a Chaos Toolkit experiment; or a Gossfile)`;
}

export function detectKind(value: unknown): DocumentKind {
  if (!isRecord(value)) return { kind: "unknown", reason: "expected a mapping at the top level" };
  if (typeof value.apiVersion === "string") {
    const api = value.apiVersion;
    // A withstand/v1 document of a kind withstand does not know is read by the caller, which names the kind.
    if (api === "withstand/v1") {
      return { kind: "native", nativeKind: typeof value.kind === "string" ? value.kind : "" };
    }
    if (api === "openslo/v1")
      return {
        kind: "unknown",
        reason:
          "an OpenSLO document, not an experiment (expected withstand slo status|rules FILE, or validate)",
      };
    return {
      kind: "unknown",
      reason:
        foreignManifest(value) ??
        "an Argo AnalysisTemplate, not an experiment (expected withstand rollout ROLLOUT --template FILE)",
    };
  }
  if (isSlothSpec(value)) return { kind: "unknown", reason: slothSpecMessage(value) };
  if (
    "method" in value ||
    "steady-state-hypothesis" in value ||
    ("title" in value && "description" in value)
  ) {
    return { kind: "ctk-experiment" };
  }
  return {
    kind: "unknown",
    reason: "not a Chaos Toolkit experiment (no title/method) and no apiVersion: withstand/v1 with a kind",
  };
}
