/**
 * A rig for flag rollout tests: a real `withstand flags serve` with a three-variant `new-pricing` flag,
 * and an application whose checkout evaluates the flag per user through OpenFeature's own OFREP
 * provider and fails for users who get the broken variant.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import { type FlagsServer, startFlags, TOKEN } from "./flags.js";
import { startServer } from "./http-server.js";
import { isolatedEnv } from "./paths.js";

const FLAG_FILE = {
  flags: {
    "new-pricing": {
      state: "ENABLED",
      variants: { old: "old", new: "new", broken: "broken" },
      defaultVariant: "old",
      targeting: {
        fractional: [
          ["old", 100],
          ["new", 0],
          ["broken", 0],
        ],
      },
    },
  },
};

export const USERS = 1000;

/** The value a user gets, through OpenFeature's OFREP provider (as the application evaluates it). */
const priceOf = (user: string) =>
  OpenFeature.getClient().getStringValue("new-pricing", "old", { targetingKey: user });

/** The users among `keys` (default: USERS of them) that get `variant` now, evaluated over OFREP. */
export async function usersOf(variant: string, keys = Array.from({ length: USERS }, (_, i) => `user-${i}`)) {
  const hits: string[] = [];
  const queue = [...keys];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let k = queue.pop(); k !== undefined; k = queue.pop())
        if ((await priceOf(k)) === variant) hits.push(k);
    }),
  );
  return hits;
}

/** The share in percent of USERS users that get `variant` now. */
export const share = async (variant: string) => ((await usersOf(variant)).length / USERS) * 100;

export interface FlagRolloutRig {
  env: NodeJS.ProcessEnv;
  flags: FlagsServer;
  /** A Rollout file of `variant` of new-pricing with these steps (YAML list items, indented 4). */
  rolloutFile(name: string, variant: string, steps: string): string;
  /** An analysis step: two synthetic checkouts per variant, 300 ms apart. */
  analysis: string;
  close(): Promise<void>;
}

export async function startFlagRolloutRig(): Promise<FlagRolloutRig> {
  const iso = isolatedEnv();
  const dir = iso.dir;
  const env = { ...iso.env, WITHSTAND_FLAGS_TOKEN: TOKEN };
  const flags = await startFlags(dir, env, { flags: FLAG_FILE });
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: flags.url }));
  const app = await startServer((req, res) => {
    const user = new URL(req.url, "http://x").searchParams.get("user") ?? "";
    priceOf(user).then(
      (price) => {
        res.writeHead(price === "broken" ? 500 : 200).end(price);
      },
      () => res.writeHead(503).end(),
    );
  });
  return {
    env,
    flags,
    rolloutFile(name, variant, steps) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        `apiVersion: withstand/v1
kind: Rollout
metadata: {name: ${name}}
spec:
  flag: {server: "${flags.url}", key: new-pricing, variant: ${variant}}
  steps:
${steps}`,
      );
      return file;
    },
    analysis: `    - analysis:
        interval: 300ms
        count: 2
        judge:
          metrics:
            - name: errors
              source: synthetic
              url: "${app.url}/checkout?user={{targetingKey}}"
              measure: error-rate
`,
    async close() {
      await app.close();
      await OpenFeature.close();
      await flags.stop();
    },
  };
}
