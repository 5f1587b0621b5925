/**
 * Each stop condition is evaluated on its own: a probe that hangs (a socket that accepts and never
 * answers, on the HTTP probe's default 30 s timeout) never blinds the others, so a condition that goes
 * bad while it hangs still stops the game day within an interval, and the slow one is warned of.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { after, it } from "node:test";
import { finished, startCli, waitForOutput } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";

const sockets = new Set<Socket>();
const hang = createServer((s) => {
  sockets.add(s);
  s.on("error", () => {});
  s.once("close", () => sockets.delete(s));
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => hang.close(() => resolve()));
});

it("a hanging stop condition does not delay another one's trip", async () => {
  await new Promise<void>((resolve) => hang.listen(0, "127.0.0.1", resolve));
  const hangPort = (hang.address() as AddressInfo).port;
  const healthy = await startServer((_req, res) => res.writeHead(200).end("ok"));
  after(() => healthy.close());
  const { dir, env } = isolatedEnv();
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: one hangs
  steps:
    - name: wait
      experiment:
        title: wait
        method:
          - type: action
            name: sleep
            provider: {type: process, path: sleep, arguments: "90"}
  stopConditions:
    - {type: probe, name: hang-probe, provider: {type: http, url: "http://127.0.0.1:${hangPort}/"}, tolerance: 200}
    - {type: probe, name: dead-later, provider: {type: http, url: "${healthy.url}/", timeout: 1}, tolerance: 200}
  interval: 500ms
`,
  );
  const child = startCli(["gameday", file], { env });
  const result = finished(child);
  // The hanging probe is in flight (its first evaluation outlasted the interval) when the other goes bad.
  await waitForOutput(child, /hang-probe takes longer than the 500 ms interval/);
  await healthy.close();
  const r = await result;
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /STOP CONDITION dead-later tripped/, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /STOP CONDITION hang-probe tripped/);
});

it("a Prometheus stop condition that never answers trips (a hanging check is a failing one)", async () => {
  if (!hang.listening) await new Promise<void>((resolve) => hang.listen(0, "127.0.0.1", resolve));
  const hangPort = (hang.address() as AddressInfo).port;
  const { dir, env } = isolatedEnv();
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: prometheus hangs
  steps:
    - name: wait
      experiment:
        title: wait
        method:
          - type: action
            name: sleep
            provider: {type: process, path: sleep, arguments: "90"}
  stopConditions:
    - {name: prom-hang, prometheus: "http://127.0.0.1:${hangPort}", expr: "up > 0"}
  interval: 1s
`,
  );
  const r = await finished(startCli(["gameday", file], { env }));
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /STOP CONDITION prom-hang tripped: prometheus .*: no answer within 10000ms/);
});
