/**
 * bench/pact: time to verify 1,000 HTTP interactions (v3, JSON bodies with type, regex and integer
 * matchers, one provider state each through the state-change URL) against a local provider, through
 * the library the CLI uses. Pact's own verifier (a native library) is not installed here, so no ratio:
 * the figure is per interaction, beside the bare HTTP round trip of the same requests.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { readPact } from "../src/core/pact/pact-file.js";
import { median } from "../src/core/stats.js";
import { verdictOf, verifyPacts } from "../src/pact/verify.js";

const N = Number(process.env.BENCH_INTERACTIONS ?? 1000);
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/_state") return res.end("{}");
    const id = Number(req.url?.split("/").pop());
    res.end(
      JSON.stringify({
        id,
        name: `item ${id}`,
        tags: ["a", "b", "c"],
        price: { amount: id * 3, currency: "EUR" },
      }),
    );
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const pact = readPact({
  consumer: { name: "shop" },
  provider: { name: "catalogue" },
  metadata: { pactSpecification: { version: "3.0.0" } },
  interactions: Array.from({ length: N }, (_, i) => ({
    description: `item ${i}`,
    providerStates: [{ name: "item exists", params: { id: i } }],
    request: { method: "GET", path: `/items/${i}` },
    response: {
      status: 200,
      headers: { "Content-Type": "application/json" },
      body: { id: i, name: "x", tags: ["t"], price: { amount: 1, currency: "EUR" } },
      matchingRules: {
        body: {
          "$.id": { matchers: [{ match: "integer" }] },
          "$.name": { matchers: [{ match: "regex", regex: "item \\d+" }] },
          "$.tags": { matchers: [{ match: "type", min: 1 }] },
          "$.price.amount": { matchers: [{ match: "number" }] },
        },
      },
    },
  })),
});
/** Verification and the bare requests alternate, so a busy moment of the machine falls on both. */
const verifyRounds: number[] = [];
const bareRounds: number[] = [];
let failed = 0;
for (let round = 0; round < 3; round++) {
  const t1 = performance.now();
  for (let i = 0; i < N; i++) {
    await (await request(`${base}/_state`, { method: "POST", body: "{}" })).body.text();
    await (await request(`${base}/items/${i}`)).body.text();
  }
  bareRounds.push(performance.now() - t1);
  const t0 = performance.now();
  const results = await verifyPacts([{ source: "bench", pact }], {
    providerBaseUrl: base,
    states: { kind: "url", url: `${base}/_state`, teardown: false },
  });
  verifyRounds.push(performance.now() - t0);
  failed += verdictOf(results).failed;
}
server.close();
const verifyMs = median(verifyRounds);
const bareMs = median(bareRounds);
console.log(
  `pact: ${N} interactions verified in ${(verifyMs / 1000).toFixed(2)} s (median of 3; ${(verifyMs / N).toFixed(2)} ms each, ${failed} failed); the same ${2 * N} bare requests took ${(bareMs / 1000).toFixed(2)} s (verification adds ${((verifyMs - bareMs) / N).toFixed(2)} ms per interaction)`,
);
if (failed > 0) process.exitCode = 1;
