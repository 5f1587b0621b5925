/** The fault-kind contract for the network lab's kinds: each case brings a lab of its own up and down. */
import { faultKindContract, LAB_KINDS } from "../helpers/fault-kind-contract.js";

faultKindContract((kind) => LAB_KINDS.has(kind));
