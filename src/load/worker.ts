/** A load worker thread: runs its segment of the plan and posts each window, encoded, to the coordinator. */
import { parentPort, workerData } from "node:worker_threads";
import type { LoadPlan } from "../core/load-plan.js";
import { toStored } from "../core/window.js";
import { runPlan } from "./runner.js";

const { plan, epoch } = workerData as { plan: LoadPlan; epoch: number };
const stop = new AbortController();
parentPort?.on("message", (m: { type: string }) => {
  if (m.type === "abort") stop.abort();
});
const { sent } = await runPlan(plan, {
  epoch,
  signal: stop.signal,
  onWindow: (index, window) => parentPort?.postMessage({ type: "window", index, window: toStored(window) }),
});
parentPort?.postMessage({ type: "done", sent });
// The abort listener would keep this thread alive; closing the port lets it exit.
parentPort?.close();
