/**
 * The contract every run-scoped service (src/services/) passes: it starts from what a document
 * declares, is handed to kinds by name, stops (twice is harmless), and a run stopped from outside
 * stops it. A service without a harness here fails the suite.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ServiceSet } from "../../src/engine/service.js";
import { freePort } from "../../src/proxy/listen.js";
import { run } from "../../src/runs/run.js";
import { SERVICES } from "../../src/services/index.js";
import { writeLab } from "../helpers/lab.js";
import { isolatedEnv } from "../helpers/paths.js";

/** What a document declares for the service, listening on `port`, and how to reach its handle. */
interface Harness {
  spec(port: number): Record<string, unknown>;
  /** A native document's spec section for the same declaration. */
  section(port: number): Record<string, unknown>;
  handleOk(handle: unknown): boolean;
  /** A fault that needs the service, played as a rollback after the run was stopped. */
  rollbackFault: Record<string, unknown>;
  /** Whether the service is up, for one that listens on no loopback port (default: `port` answers). */
  alive?: () => boolean;
}

/** The lab this suite's runs brought up (the state directory lists it) has its hub namespace. */
const labAlive = (): boolean => {
  const dir = join(String(process.env.WITHSTAND_STATE_DIR), "labs");
  const hubs = existsSync(dir) ? readdirSync(dir).map((f) => `ws-${f.slice(0, 6)}-hub`) : [];
  const list = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  return hubs.some((h) => list.includes(h));
};
let labFile = "";
const labSpec = () => {
  if (!labFile) labFile = writeLab(mkdtempSync(join(tmpdir(), "withstand-lab-")), ["a"]).file;
  return { lab: labFile };
};

const HARNESS: Record<string, Harness> = {
  lab: {
    spec: () => labSpec(),
    section: () => labSpec(),
    handleOk: (h) => /^ws-[0-9a-f]{6}-hub$/.test((h as { hub: string }).hub),
    rollbackFault: { kind: "partition", between: ["a", "a"] },
    alive: labAlive,
  },
  proxies: {
    spec: (port) => ({ proxies: [{ name: "p", listen: `127.0.0.1:${port}`, upstream: "127.0.0.1:9" }] }),
    section: (port) => ({ proxies: [{ name: "p", listen: `127.0.0.1:${port}`, upstream: "127.0.0.1:9" }] }),
    handleOk: (h) => typeof (h as { describe?: unknown }).describe === "string",
    rollbackFault: { kind: "network", proxy: "p", toxic: { type: "latency", attributes: { latency: 1 } } },
  },
  dns: {
    spec: (port) => ({ dns: { listen: { host: "127.0.0.1", port }, upstream: "none", records: {} } }),
    section: (port) => ({ dns: { listen: `127.0.0.1:${port}`, upstream: "none" } }),
    handleOk: (h) => /^http:\/\/127\.0\.0\.1:\d+$/.test((h as { api: string }).api),
    rollbackFault: { kind: "dns", names: "example.test", answer: "nxdomain" },
  },
};

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const { dir, env } = isolatedEnv();
process.env.WITHSTAND_STATE_DIR = env.WITHSTAND_STATE_DIR;
after(async () => {
  const { rmSync } = await import("node:fs");
  rmSync(dir, { recursive: true, force: true });
});

it("every registered service has a harness", () => {
  for (const s of SERVICES) assert.ok(HARNESS[s.name], `service ${s.name} has a harness in this suite`);
});

for (const service of SERVICES) {
  const h = HARNESS[service.name] as Harness;
  describe(`service ${service.name}`, () => {
    it("is not started unless the document declares it", async () => {
      const set = new ServiceSet();
      await set.start([service], { proxies: [] }, [], "doc.yaml");
      assert.equal(set.get(service.name), undefined);
    });

    it("starts, is handed out by name, and stops; a second stop does nothing", async () => {
      const port = await freePort();
      const set = new ServiceSet();
      await set.start([service], h.spec(port), [], "doc.yaml");
      assert.ok(h.handleOk(set.get(service.name)), "the handle kinds ask for");
      assert.equal(h.alive ? h.alive() : await answers(port), true, "listening while the run runs");
      await set.stop();
      await set.stop();
      assert.equal(h.alive ? h.alive() : await answers(port), false, "stopped");
      assert.equal(set.get(service.name), undefined);
    });

    it("is stopped when the run is stopped from outside (rollbacks have run by then)", async () => {
      const port = await freePort();
      const stop = new AbortController();
      let listening: boolean | undefined;
      const record = await run(
        {
          apiVersion: "withstand/v1",
          kind: "Experiment",
          metadata: { name: `service-${service.name}` },
          spec: {
            ...h.section(port),
            method: [
              {
                type: "action",
                name: "hold",
                provider: { type: "process", path: "sleep", arguments: ["600"] },
              },
            ],
            // The rollback asks for the service: it is still running for rollbacks after a stop.
            rollbacks: [{ type: "action", name: "undo", fault: h.rollbackFault }],
          },
        },
        {
          store: false,
          signal: stop.signal,
          options: { rollbackStrategy: "always" },
          onEvent: (e) => {
            if (e.type === "activity-started" && e.name === "hold")
              void (h.alive ? Promise.resolve(h.alive()) : answers(port)).then((ok) => {
                listening = ok;
                stop.abort("interrupted");
              });
          },
        },
      );
      assert.equal(listening, true, "it ran during the method");
      assert.equal(record.outcome, "interrupted");
      const journal = record.result as { rollbacks: { status: string; exception?: string[] }[] };
      assert.deepEqual(
        journal.rollbacks.map((r) => [r.status, r.exception]),
        [["succeeded", undefined]],
        "the rollback reached the service",
      );
      assert.equal(h.alive ? h.alive() : await answers(port), false, "stopped with the run");
    });
  });
}
