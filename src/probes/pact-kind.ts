import { z } from "zod";
import { defineProbeKind, type PactProbeOutput, type ProbeKind } from "../core/probe-kind.js";
import { httpUrl, nonEmpty, oneOrList } from "../core/values.js";

interface PactProvider {
  type: "pact";
  pacts: string[];
  provider: string;
  consumer?: string | undefined;
  stateChangeUrl?: string | undefined;
}

const schema = z
  .strictObject({
    type: z.literal("pact"),
    pact: oneOrList(nonEmpty("a pact file or URL")),
    provider: httpUrl("the provider's base URL"),
    consumer: nonEmpty("a consumer's name").optional(),
    "state-change-url": httpUrl("the provider's state-change URL").optional(),
  })
  .transform(
    (p): PactProvider => ({
      type: "pact",
      pacts: p.pact,
      provider: p.provider,
      consumer: p.consumer,
      stateChangeUrl: p["state-change-url"],
    }),
  );

/**
 * A provider's contracts as a probe: `provider: {type: pact, pact: consumer.json, provider: URL}`. Does
 * the provider still honour its consumers while a fault is active? Its output lists every broken
 * interaction with its mismatches; it succeeds when all were verified.
 */
export const pactProbe: ProbeKind = defineProbeKind<PactProvider>({
  type: "pact",
  summary: "a provider verified against pact files; output {ok, verified, failed, broken}",
  schema,
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
