import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes a native Experiment with the given method to DIR/NAME.json and returns its path. */
export function writeExperiment(dir: string, name: string, method: unknown[], title = name): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { apiVersion: "withstand/v1", kind: "Experiment", metadata: { name: title }, spec: { method } },
      null,
      2,
    ),
  );
  return file;
}

/** An experiment that pauses one process (SIGSTOP) for `duration`. */
export const pauseExperiment = (
  dir: string,
  name: string,
  pid: number,
  duration: string,
  title = name,
): string =>
  writeExperiment(
    dir,
    name,
    [{ type: "action", name: "freeze", fault: { kind: "process-pause", select: { pid }, duration } }],
    title,
  );
