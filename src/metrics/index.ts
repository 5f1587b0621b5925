import { SourceError } from "../core/errors.js";
import type { MetricProvider, SliSource, WindowReader } from "../core/metric-provider.js";
import type { Slo } from "../core/slo-model.js";
import { anomalyProvider } from "./anomaly.js";
import { pactProvider } from "./pact.js";
import { prometheusProvider } from "./prometheus.js";
import { routerProvider } from "./router.js";
import { syntheticProvider } from "./synthetic.js";
import { windowsProvider } from "./windows.js";

/** Every metric provider, by type. A new one (Datadog, CloudWatch) is one module here and one line. */
export const METRIC_PROVIDERS: ReadonlyMap<string, MetricProvider> = new Map(
  [windowsProvider, prometheusProvider, routerProvider, syntheticProvider, pactProvider, anomalyProvider].map(
    (p) => [p.type, p],
  ),
);

const withSli = () => [...METRIC_PROVIDERS.values()].filter((p) => p.sli).map((p) => p.type);

/** The SLI source of an SLO, from the provider its metric source names. */
export function sourceFor(slo: Slo, windows: WindowReader): SliSource {
  const s = slo.indicator.ratio?.total ?? slo.indicator.threshold;
  if (!s) throw new SourceError(`${slo.loc}: ${slo.name}: no metric source`, { why: "missing" });
  const provider = METRIC_PROVIDERS.get(s.type);
  if (!provider?.sli)
    throw new SourceError(
      `${slo.loc}: ${slo.name}: unsupported metric source type ${s.type} (expected ${withSli().join(" or ")})`,
      { why: "missing" },
    );
  return provider.sli(slo, s, { windows });
}

export { judgeAnomaly } from "./anomaly.js";
export { promInstant, promQuery } from "./prometheus.js";
export { storeReader } from "./windows.js";
