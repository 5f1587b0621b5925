import { isRecord } from "./reporter.js";

/** What a document is, from its content alone. */
export type DocumentKind =
  | { kind: "ctk-experiment" }
  | { kind: "native"; nativeKind: string }
  | { kind: "unknown"; reason: string };

export function detectKind(value: unknown): DocumentKind {
  if (!isRecord(value)) return { kind: "unknown", reason: "expected a mapping at the top level" };
  if (typeof value.apiVersion === "string" && value.apiVersion.startsWith("withstand/")) {
    return { kind: "native", nativeKind: typeof value.kind === "string" ? value.kind : "" };
  }
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
