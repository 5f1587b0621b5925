import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FAULT_KINDS } from "../../src/faults/index.js";
import { FAULT_SCHEMAS } from "../../src/faults/schemas/index.js";
import { TOXIC_ATTRIBUTES, toxicSchema } from "../../src/faults/toxic-schema.js";
import { HTTP_TOXICS, TCP_TOXICS } from "../../src/proxy/toxics.js";

describe("toxic schemas of the network and http-fault kinds", () => {
  it("know exactly the toxics and attributes the proxy implements", () => {
    const names = (t: Record<string, Record<string, unknown>>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Object.keys(v).sort()]));
    const proxy = (t: Record<string, readonly string[]>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(names(TOXIC_ATTRIBUTES.network), proxy(TCP_TOXICS));
    assert.deepEqual(names(TOXIC_ATTRIBUTES["http-fault"]), proxy(HTTP_TOXICS));
  });

  it("reject any attribute a toxic does not know, whatever its name (property)", () => {
    const schema = toxicSchema("network");
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(TCP_TOXICS)),
        fc.string({ minLength: 1, maxLength: 12 }),
        (type, key) => {
          fc.pre(!(TCP_TOXICS[type] ?? []).includes(key));
          const required = Object.fromEntries(
            Object.entries(TOXIC_ATTRIBUTES.network[type] ?? {})
              .filter(([, a]) => a.required)
              .map(([k]) => [k, 1]),
          );
          const r = schema.safeParse({ type, attributes: { ...required, [key]: 1 } });
          assert.equal(r.success, false);
          assert.deepEqual(
            r.error?.issues.map((i) => i.path),
            [["attributes", key]],
          );
        },
      ),
    );
  });

  it("refuse a toxic that would do nothing, and inherited names as types", () => {
    const schema = toxicSchema("network");
    assert.equal(schema.safeParse({ type: "latency", attributes: {} }).success, false);
    assert.equal(schema.safeParse({ type: "latency", attributes: { latency: 300 } }).success, true);
    assert.equal(schema.safeParse({ type: "constructor" }).success, false);
    assert.equal(schema.safeParse({ type: "toString" }).success, false);
    // A `__proto__` attribute (YAML and JSON.parse make it an own key) is unknown like any other.
    const proto = schema.safeParse({
      type: "latency",
      attributes: JSON.parse('{"latency": 1, "__proto__": 5}'),
    });
    assert.deepEqual(
      proto.error?.issues.map((i) => i.path),
      [["attributes", "__proto__"]],
    );
  });
});

describe("the fault kinds' schemas, apart from their execution", () => {
  it("list every registered fault kind, each with the very schema the kind runs with (one schema)", () => {
    assert.deepEqual([...FAULT_SCHEMAS.keys()].sort(), [...FAULT_KINDS.keys()].sort());
    for (const [name, kind] of FAULT_KINDS) {
      assert.equal(FAULT_SCHEMAS.get(name)?.kind, kind.kind);
      assert.equal(FAULT_SCHEMAS.get(name)?.schema, kind.schema, `${name}: the same schema object`);
    }
  });
});
