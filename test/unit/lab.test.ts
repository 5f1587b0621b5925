import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FAULT_TABLE,
  faultTable,
  LAB_NS,
  layout,
  rateBits,
  resolveHosts,
  ruleText,
  shapeArgs,
} from "../../src/core/lab.js";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { readLab } from "../../src/documents/lab.js";
import { parseSource } from "../../src/documents/source.js";

const spec = {
  name: "shop",
  hosts: [
    { name: "orders-a", zone: "a", processes: [] },
    { name: "orders-b", zone: "b", processes: [] },
    { name: "inventory-a", zone: "a", processes: [] },
  ],
};

describe("lab layout and names", () => {
  it("gives every host a namespace, an address and a bridge port under the lab's id", () => {
    const lab = layout("a1b2c3", spec);
    assert.equal(lab.hub, "ws-a1b2c3-hub");
    assert.deepEqual(
      lab.hosts.map((h) => [h.name, h.ns, h.address, h.port]),
      [
        ["orders-a", "ws-a1b2c3-h0", "10.77.0.10", "p0"],
        ["orders-b", "ws-a1b2c3-h1", "10.77.0.11", "p1"],
        ["inventory-a", "ws-a1b2c3-h2", "10.77.0.12", "p2"],
      ],
    );
    for (const n of [lab.hub, ...lab.hosts.map((h) => h.ns)]) assert.match(n, LAB_NS);
  });

  it("cleanup patterns match only withstand's names", () => {
    for (const n of ["ws-a1b2c3-hub", "ws-000000-h12"]) assert.match(n, LAB_NS);
    for (const n of ["ws-a1b2c3", "wsx-a1b2c3-hub", "ws-a1b2c3-hub2", "docker", "ws-A1B2C3-hub", "cni-1234"])
      assert.doesNotMatch(n, LAB_NS);
    assert.match("wsf-0123abcd", FAULT_TABLE);
    assert.doesNotMatch("filter", FAULT_TABLE);
  });

  it("resolves zones and hosts, and names what exists when one is unknown", () => {
    const lab = layout("a1b2c3", spec);
    assert.deepEqual(
      resolveHosts(lab, { zone: "a" }).map((h) => h.name),
      ["orders-a", "inventory-a"],
    );
    assert.throws(
      () => resolveHosts(lab, { zone: "z" }),
      /zone "z" is not in lab shop \(expected one of a, b\)/,
    );
    assert.throws(
      () => resolveHosts(lab, "nope"),
      /host "nope" is not in lab shop \(expected one of orders-a, orders-b, inventory-a\)/,
    );
  });
});

describe("fault rules", () => {
  it("a drop rule matches IPv4 addresses, protocol and ports, and the percent to a hundredth", () => {
    assert.equal(
      ruleText({ from: ["10.77.0.10"], to: ["10.77.0.11", "10.77.0.12"], filter: {}, portsOn: "dport" }, "c"),
      'ether type ip ip saddr 10.77.0.10 ip daddr { 10.77.0.11, 10.77.0.12 } counter drop comment "c"',
    );
    assert.equal(
      ruleText({ to: ["10.77.0.11"], filter: { ports: [80, 443] }, portsOn: "dport", percent: 12.5 }, "c"),
      'ether type ip ip daddr 10.77.0.11 meta l4proto { tcp, udp } th dport { 80, 443 } numgen random mod 10000 < 1250 counter drop comment "c"',
    );
    assert.equal(
      ruleText({ from: ["10.77.0.11"], filter: { protocol: "icmp" }, portsOn: "sport" }, "c"),
      'ether type ip ip saddr 10.77.0.11 meta l4proto icmp counter drop comment "c"',
    );
  });

  it("a fault's table is a bridge-family table of its own on the forward hook", () => {
    const t = faultTable("wsf-0123abcd", [{ to: ["10.77.0.11"], filter: {}, portsOn: "dport" }], "x");
    assert.match(
      t,
      /^table bridge wsf-0123abcd \{\n {2}chain filter \{\n {4}type filter hook forward priority 0; policy accept;\n/,
    );
  });

  it("a bandwidth fault is an htb class and a u32 filter of its own number", () => {
    const a = shapeArgs(
      { ns: "ws-a1b2c3-h0", dev: "eth0", match: { field: "dst", address: "10.77.0.11" } },
      300,
      "1mbit",
      "32kb",
    );
    assert.deepEqual(a.cls.slice(-11), [
      "classid",
      "1:12c",
      "htb",
      "rate",
      "1mbit",
      "ceil",
      "1mbit",
      "burst",
      "32kb",
      "cburst",
      "32kb",
    ]);
    assert.deepEqual(a.filter.slice(-9), [
      "prio",
      "300",
      "u32",
      "match",
      "ip",
      "dst",
      "10.77.0.11/32",
      "flowid",
      "1:12c",
    ]);
    assert.deepEqual(shapeArgs({ ns: "ws-a1b2c3-hub", dev: "p0" }, 2, "1mbit", "1kb").filter.slice(-7), [
      "u32",
      "match",
      "u32",
      "0",
      "0",
      "flowid",
      "1:2",
    ]);
  });

  it("reads tc rates in bits per second (bps is bytes)", () => {
    assert.equal(rateBits("1mbit"), 1e6);
    assert.equal(rateBits("500kbit"), 5e5);
    assert.equal(rateBits("1mbps"), 8e6);
    assert.ok(Number.isNaN(rateBits("fast")));
  });
});

describe("kind: Lab", () => {
  const read = (text: string) => {
    const doc = parseSource("lab.yaml", text).docs[0];
    assert.ok(doc);
    return readLab(doc);
  };
  it("a bad readiness probe and a duplicate host are errors at their line", () => {
    const bad = read(`apiVersion: withstand/v1
kind: Lab
metadata: { name: shop }
spec:
  hosts:
    - name: a1
      zone: a
      processes:
        - command: [node, x.js]
          ready: { tcp: 80, udp: 53 }
`);
    assert.deepEqual(bad.diagnostics.map(formatDiagnostic), [
      "lab.yaml:10:18: spec.hosts[0].processes[0].ready: expected exactly one of tcp (a port), udp (a port) or exec (a command) (got tcp, udp)",
    ]);
    const twice = read(`apiVersion: withstand/v1
kind: Lab
metadata: { name: shop }
spec:
  hosts:
    - name: a1
      zone: a
    - name: a1
      zone: b
`);
    const lines = twice.diagnostics.map(formatDiagnostic);
    assert.ok(
      lines.some((l) => /^lab\.yaml:8:.*host a1 is declared twice/.test(l)),
      lines.join("\n"),
    );
    assert.equal(twice.spec, undefined);
  });
  it("reads hosts, zones and processes with a default readiness timeout", () => {
    const r = read(`apiVersion: withstand/v1
kind: Lab
metadata: { name: shop }
spec:
  hosts:
    - name: a1
      zone: a
      processes:
        - command: [node, x.js]
          ready: { tcp: 8080 }
`);
    assert.deepEqual(r.spec, {
      name: "shop",
      hosts: [
        {
          name: "a1",
          zone: "a",
          processes: [{ command: ["node", "x.js"], ready: { tcp: 8080 }, timeoutMs: 10_000 }],
        },
      ],
    });
  });
});

describe("an experiment's lab:", () => {
  it("is checked with the experiment: the Lab file's mistake at its own file:line:col, a missing file a warning", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { loadExperimentFile } = await import("../../src/documents/experiment-file.js");
    const dir = mkdtempSync(join(tmpdir(), "withstand-lab-exp-"));
    writeFileSync(
      join(dir, "lab.yaml"),
      "apiVersion: withstand/v1\nkind: Lab\nmetadata: { name: shop }\nspec:\n  hosts:\n    - name: a1\n      zon: a\n",
    );
    const exp = (lab: string) =>
      `apiVersion: withstand/v1\nkind: Experiment\nmetadata: { name: x }\nspec:\n  title: x\n  lab: ${lab}\n  method:\n    - type: action\n      name: cut\n      fault: { kind: zone-down, zone: a }\n`;
    writeFileSync(join(dir, "exp.yaml"), exp("lab.yaml"));
    const bad = await loadExperimentFile(join(dir, "exp.yaml"));
    assert.equal(bad.spec, undefined);
    assert.ok(
      bad.diagnostics
        .map(formatDiagnostic)
        .some((l) => l.startsWith(`${join(dir, "lab.yaml")}:7:7:`) && /zon/.test(l)),
      bad.diagnostics.map(formatDiagnostic).join("\n"),
    );
    writeFileSync(join(dir, "exp2.yaml"), exp("missing.yaml"));
    const missing = await loadExperimentFile(join(dir, "exp2.yaml"));
    assert.ok(missing.spec, "a missing lab file does not stop validation");
    assert.match(
      missing.diagnostics.map(formatDiagnostic).join("\n"),
      /exp2\.yaml:6:8: .*cannot read .*missing\.yaml: ENOENT/,
    );
  });
});
