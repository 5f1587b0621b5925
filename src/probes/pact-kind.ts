import { defineProbeKind, type PactProbeOutput, type ProbeKind } from "../core/probe-kind.js";
import { checkKeys, type Reporter, readString } from "../core/reader.js";

const PACT_KEYS = ["type", "pact", "provider", "consumer", "state-change-url"];

interface PactProvider {
  type: "pact";
  pacts: string[];
  provider: string;
  consumer?: string | undefined;
  stateChangeUrl?: string | undefined;
}

function readUrl(v: unknown, key: string, r: Reporter): string | undefined {
  const s = readString(v, [key], r, "an http:// or https:// URL");
  if (s !== undefined && !/^https?:\/\/./i.test(s) && !s.includes("${")) {
    r.error([key], `expected an http:// or https:// URL, got "${s}"`);
    return undefined;
  }
  return s;
}

function parse(raw: Record<string, unknown>, r: Reporter): PactProvider | undefined {
  checkKeys(raw, PACT_KEYS, [], r);
  const list = Array.isArray(raw.pact) ? raw.pact : [raw.pact];
  const pacts = list.map((p, i) =>
    readString(p, Array.isArray(raw.pact) ? ["pact", i] : ["pact"], r, "a pact file or URL"),
  );
  const provider = readUrl(raw.provider, "provider", r);
  const consumer = raw.consumer === undefined ? undefined : readString(raw.consumer, ["consumer"], r);
  const stateChangeUrl =
    raw["state-change-url"] === undefined
      ? undefined
      : readUrl(raw["state-change-url"], "state-change-url", r);
  if (provider === undefined || pacts.some((p) => p === undefined)) return undefined;
  return { type: "pact", pacts: pacts as string[], provider, consumer, stateChangeUrl };
}

/**
 * A provider's contracts as a probe: `provider: {type: pact, pact: consumer.json, provider: URL}`. Does
 * the provider still honour its consumers while a fault is active? Its output lists every broken
 * interaction with its mismatches; it succeeds when all were verified.
 */
export const pactProbe: ProbeKind = defineProbeKind<PactProvider>({
  type: "pact",
  keys: PACT_KEYS,
  summary: "a provider verified against pact files; output {ok, verified, failed, broken}",
  parse,
  describe: (p) => `would verify ${p.provider} against ${p.pacts.join(", ")}`,
  execute: (p, signal, services) =>
    services.verifyPacts(
      p.pacts,
      p.provider,
      { consumer: p.consumer, stateChangeUrl: p.stateChangeUrl },
      signal,
    ),
  succeeded: (out) => (out as PactProbeOutput | null)?.ok === true,
});
