/** The fault-kind contract for every kind outside the network lab (the lab's kinds: fault-kind-lab.test.ts). */
import assert from "node:assert/strict";
import { it } from "node:test";
import { FAULT_KINDS } from "../../src/faults/index.js";
import { faultKindContract, HARNESSED_KINDS, LAB_KINDS } from "../helpers/fault-kind-contract.js";

it("every registered fault kind has a contract harness", () => {
  assert.deepEqual([...FAULT_KINDS.keys()].sort(), HARNESSED_KINDS().sort());
});

faultKindContract((kind) => !LAB_KINDS.has(kind));
