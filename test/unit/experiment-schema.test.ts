import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

const { dir, env } = isolatedEnv();

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("durations in experiments have a maximum, checked by validate", () => {
  it("refuses a 30-day DNS delay or pause and a 1e12 ms latency, each at file:line:col with the maximum (exit 2)", async () => {
    const file = write(
      "long.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: too long}
spec:
  proxies: [{name: api, listen: "127.0.0.1:0", upstream: "127.0.0.1:9"}]
  dns: {listen: "127.0.0.1:0", upstream: none}
  method:
    - type: action
      name: slow
      fault: {kind: network, proxy: api, toxic: {type: latency, attributes: {latency: 1e12}}}
    - type: action
      name: slow dns
      fault: {kind: dns, names: "a.*", answer: delay, delay: 30d}
      pauses: {after: 30d}
    - type: action
      name: slow http
      fault: {kind: http-fault, proxy: api, toxic: {type: http_delay, attributes: {latency: 2592000000}}, duration: 1e7}
`,
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      `${file}:10:87: spec.method[0].fault.toxic.attributes.latency: got 1000000000000 (expected the delay in milliseconds, at most 2073600000: 24d is the longest duration withstand waits for)`,
      `${file}:13:62: spec.method[1].fault.delay: got "30d" (expected at most 24d, the longest duration withstand waits for)`,
      `${file}:14:23: spec.method[1].pauses.after: got "30d" (expected at most 24d, the longest duration withstand waits for)`,
      `${file}:17:93: spec.method[2].fault.toxic.attributes.latency: got 2592000000 (expected the delay in milliseconds, at most 2073600000: 24d is the longest duration withstand waits for)`,
      `${file}:17:117: spec.method[2].fault.duration: got 10000000 (expected at most 24d (2073600 seconds), the longest duration withstand waits for)`,
    ]);
  });

  it("accepts the longest duration itself", async () => {
    const file = write(
      "longest.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: longest}
spec:
  dns: {listen: "127.0.0.1:0", upstream: none}
  method:
    - {type: action, name: slow dns, fault: {kind: dns, names: "a.*", answer: delay, delay: 24d}, pauses: {after: 2073600}}
`,
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
  });
});
