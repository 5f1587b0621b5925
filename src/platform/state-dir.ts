import { tmpdir } from "node:os";
import { join } from "node:path";

/** The machine-wide directory of withstand's active runs, faults and clocks (one per user). */
export function stateDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return process.env.WITHSTAND_STATE_DIR ?? join(tmpdir(), `withstand-${uid}`);
}
