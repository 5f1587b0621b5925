/**
 * Flag rollouts against the real things: `withstand flags serve`, the real `withstand rollout` CLI,
 * and an application that evaluates the flag per request through OpenFeature's own OFREP provider.
 * What users see: each setWeight gives the variant that share of thousands of users, a variant whose
 * users get errors is rolled back to 0% by analysis, and a rollout stopped by SIGTERM or SIGKILL
 * leaves the variant at 0%. Every flip is in the flag server's audit log and in the run record.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { type FlagsServer, startFlags, TOKEN } from "../helpers/flags.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, stopChild, until } from "../helpers/processes.js";

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

const USERS = 1000;
let flags: FlagsServer;
let app: Awaited<ReturnType<typeof startServer>>;
let env: NodeJS.ProcessEnv;
let dir: string;

/** The value a user gets, through OpenFeature's OFREP provider (as the application evaluates it). */
const priceOf = (user: string) =>
  OpenFeature.getClient().getStringValue("new-pricing", "old", { targetingKey: user });

/** The users among `keys` (default: USERS of them) that get `variant` now, evaluated over OFREP. */
async function usersOf(variant: string, keys = Array.from({ length: USERS }, (_, i) => `user-${i}`)) {
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
const share = async (variant: string) => ((await usersOf(variant)).length / USERS) * 100;

function rolloutFile(name: string, variant: string, steps: string): string {
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
}

const ANALYSIS = `    - analysis:
        interval: 300ms
        count: 2
        judge:
          metrics:
            - name: errors
              source: synthetic
              url: "${"${APP}"}/checkout?user={{targetingKey}}"
              measure: error-rate
`;

before(async () => {
  const iso = isolatedEnv();
  dir = iso.dir;
  env = { ...iso.env, WITHSTAND_FLAGS_TOKEN: TOKEN };
  flags = await startFlags(dir, env, { flags: FLAG_FILE });
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: flags.url }));
  // The application: its checkout fails for users who get the broken pricing.
  app = await startServer((req, res) => {
    const user = new URL(req.url, "http://x").searchParams.get("user") ?? "";
    priceOf(user).then(
      (price) => {
        res.writeHead(price === "broken" ? 500 : 200).end(price);
      },
      () => res.writeHead(503).end(),
    );
  });
});
after(async () => {
  await app?.close();
  await OpenFeature.close();
  await flags?.stop();
});

const analysis = () => ANALYSIS.replace("${APP}", app.url);

describe("a flag rollout", () => {
  it("gives the variant each step's share of users, judges it, and promotes it to 100%", async (t) => {
    const file = rolloutFile(
      "good",
      "new",
      `    - setWeight: 10
    - pause: {}
    - setWeight: 50
    - pause: {}
${analysis()}`,
    );
    const rollout = startCli(["rollout", file], { env });
    t.after(() => stopChild(rollout));
    const done = finished(rollout);
    await waitForOutput(rollout, /paused.*step 2/);
    const at10 = await share("new");
    assert.ok(Math.abs(at10 - 10) < 3, `10% step: ${at10}% of ${USERS} users got new`);
    const paused4 = waitForOutput(rollout, /paused.*step 4/);
    assert.equal((await runCli(["rollout", "promote", "good"], { env })).code, 0);
    await paused4;
    const at50 = await share("new");
    assert.ok(Math.abs(at50 - 50) < 4, `50% step: ${at50}% of ${USERS} users got new`);
    assert.equal((await runCli(["rollout", "promote", "good"], { env })).code, 0);
    const r = await done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PROMOTED good/);
    assert.equal(await share("new"), 100, "promoted: every user gets new, after the run too");
    const log = await runCli(["flags", "log", "new-pricing", "--json"], { env });
    const reasons = (JSON.parse(log.stdout) as { changes: { reason: string; actor: string }[] }).changes
      .map((c) => `${c.actor}: ${c.reason}`)
      .reverse();
    assert.deepEqual(reasons.slice(-3), [
      "ops: rollout good: step 1",
      "ops: rollout good: step 3",
      "ops: rollout good: promoted",
    ]);
    // Back to the file's 0% for the next test.
    await runCli(
      ["flags", "set", "new-pricing", "--weights", "old=100,new=0,broken=0", "--server", flags.url],
      {
        env,
      },
    );
  });

  it("rolls a variant whose users get errors back to 0%, recorded in the audit log and the run", async () => {
    const file = rolloutFile(
      "bad",
      "broken",
      `    - setWeight: 20
${analysis()}    - setWeight: 100
`,
    );
    const r = await runCli(["rollout", file, "--json"], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(await share("broken"), 0, "no user gets the broken variant after the rollback");
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; weight?: number; reason?: string });
    const weights = events.filter((e) => e.type === "rollout-weight");
    assert.deepEqual(
      weights.map((e) => e.weight),
      [20, 0],
    );
    assert.match(
      weights[1]?.reason ?? "",
      /rolled back: step 2 analysis failed.*old 100%, new 0%, broken 0%/,
    );
    const log = await runCli(["flags", "log", "new-pricing", "--limit", "2", "--json"], { env });
    const [last, prior] = (JSON.parse(log.stdout) as { changes: { reason: string; after: unknown }[] })
      .changes;
    assert.match(last?.reason ?? "", /rolled back: step 2 analysis failed/);
    assert.deepEqual((last?.after as { weights?: unknown } | undefined)?.weights, {
      old: 100,
      new: 0,
      broken: 0,
    });
    assert.deepEqual((prior?.after as { weights?: unknown } | undefined)?.weights, {
      old: 80,
      new: 0,
      broken: 20,
    });
  });

  for (const signal of ["SIGTERM", "SIGKILL"] as const)
    it(`leaves the variant at 0% when the rollout gets ${signal} mid-way`, async (t) => {
      const file = rolloutFile(
        signal.toLowerCase(),
        "new",
        `    - setWeight: 30
    - pause: {}
    - setWeight: 60
`,
      );
      const rollout = startCli(["rollout", file], { env });
      t.after(() => stopChild(rollout));
      await waitForOutput(rollout, /paused.*step 2/);
      const on = await usersOf("new");
      const mid = (on.length / USERS) * 100;
      assert.ok(Math.abs(mid - 30) < 3.5, `30% step: ${mid}%`);
      rollout.kill(signal);
      await exited(rollout);
      if (signal === "SIGTERM") assert.equal(rollout.exitCode, 3);
      // SIGKILL: nothing in the runner reverts; the lease runs out on the flag server (or the watchdog).
      await until(async () => (await usersOf("new", on)).length === 0, 10_000, "the variant back at 0%");
      assert.equal(await share("new"), 0);
    });
});
