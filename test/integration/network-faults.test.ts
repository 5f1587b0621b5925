import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ProxyApi } from "../../src/proxy/api.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { json, startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { until } from "../helpers/processes.js";

let upstream: Awaited<ReturnType<typeof startServer>>;
before(async () => {
  upstream = await startServer((_req, res) => json(res, 200, { ok: true }));
});
after(() => upstream.close());

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("network faults inside experiments", () => {
  it("starts in-process proxies, adds latency for a duration, and the hypothesis sees it", async () => {
    const { dir, env } = isolatedEnv();
    const file = write(
      dir,
      "latency.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: slow-inventory}
spec:
  proxies:
    - {name: inventory, listen: "127.0.0.1:0", upstream: "127.0.0.1:${upstream.port}"}
    - {name: orders-api, listen: "127.0.0.1:0", upstream: "127.0.0.1:${upstream.port}", protocol: http}
  method:
    - type: action
      name: slow-down-inventory
      fault: {kind: network, proxy: inventory, toxic: {type: latency, attributes: {latency: 300}}, duration: 1s}
    - type: action
      name: break-orders
      fault: {kind: http-fault, proxy: orders-api, toxic: {type: http_abort, attributes: {status: 503}}}
`,
    );
    const r = await runCli(["run", file, "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const injected = events.filter((e) => e.type === "fault-injected").map((e) => e.kind);
    assert.deepEqual(injected, ["network:latency", "http-fault:http_abort"]);
    const reverted = events.filter((e) => e.type === "fault-reverted").map((e) => e.how);
    assert.equal(reverted.length, 2);
    assert.ok(reverted.some((h: string) => /duration 1000ms elapsed/.test(h)));
  });

  it("drives a running proxy API; a SIGKILLed runner's toxic is removed (watchdog or lease) within 5 s", async () => {
    const { dir, env } = isolatedEnv();
    const api = new ProxyApi();
    const base = `http://${await api.listen("127.0.0.1", 0)}`;
    try {
      await api.collection.create({
        name: "db",
        listen: "127.0.0.1:0",
        upstream: `127.0.0.1:${upstream.port}`,
      });
      const file = write(
        dir,
        "api.yaml",
        `apiVersion: withstand/v1
kind: Experiment
metadata: {name: via-api}
spec:
  proxy-api: ${base}
  method:
    - type: action
      name: cut-db
      fault: {kind: network, proxy: db, toxic: {type: timeout, attributes: {timeout: 0}}}
    - type: action
      name: hold
      provider: {type: process, path: sleep, arguments: ["30"]}
`,
      );
      const runner = startCli(["run", file, "--json"], { env });
      const done = finished(runner);
      await waitForOutput(runner, '"type":"fault-injected"');
      assert.equal(api.collection.listToxics("db").length, 1);
      runner.kill("SIGKILL");
      await done;
      const took = await until(
        () => api.collection.listToxics("db").length === 0,
        6000,
        "the toxic to be removed",
      );
      assert.ok(took <= 6000);

      // And withstand halt removes API toxics of a live run at once.
      const runner2 = startCli(["run", file, "--json"], { env });
      const done2 = finished(runner2);
      await waitForOutput(runner2, '"type":"fault-injected"');
      const halt = await runCli(["halt"], { env });
      assert.match(
        halt.stdout,
        /reverted network:timeout \(cut-db, run [\w-]+\) on proxy db via proxy API http:\/\/[\d.:]+: DELETE http:\/\/.*\/proxies\/db\/toxics\/cut-db-\w+ -> 204/,
      );
      assert.equal(api.collection.listToxics("db").length, 0);
      assert.equal((await done2).code, 3);
    } finally {
      await api.close();
    }
  });

  it("stops with exit 2 when a fault cannot be applied (unknown proxy)", async () => {
    const { dir, env } = isolatedEnv();
    const file = write(
      dir,
      "unknown.yaml",
      `apiVersion: withstand/v1\nkind: Experiment\nmetadata: {name: u}\nspec:\n  proxies:\n    - {name: db, upstream: "127.0.0.1:1"}\n  method:\n    - type: action\n      name: x\n      fault: {kind: network, proxy: dbb, toxic: {type: latency, attributes: {latency: 1}}}\n`,
    );
    const r = await runCli(["run", file], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown\.yaml:8:7: fault: proxy not found/);
  });

  it("names the missing proxy set-up at the activity's position (exit 2)", async () => {
    const { dir, env } = isolatedEnv();
    const file = write(
      dir,
      "none.yaml",
      `apiVersion: withstand/v1\nkind: Experiment\nmetadata: {name: n}\nspec:\n  method:\n    - type: action\n      name: x\n      fault: {kind: network, proxy: db, down: true}\n`,
    );
    const r = await runCli(["run", file], { env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /none\.yaml:6:7: fault\.proxy: no proxies to drive \(expected a proxies: section or proxy-api: URL/,
    );
  });
});
