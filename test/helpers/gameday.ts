import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** The stop conditions' evaluation interval of the test game day. */
export const INTERVAL_MS = 1000;

/**
 * Three steps against a real server: a short experiment that holds, an experiment that pauses the
 * server for a minute (the stop condition, an HTTP probe with a short timeout, trips), and a third that
 * must never start.
 */
export function writeGameDay(dir: string, url: string, pid: number, holdS = 60): string {
  writeFileSync(
    join(dir, "warmup.yaml"),
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: warm-up}
spec:
  title: warm up
  method:
    - type: probe
      name: answers
      provider: {type: http, url: "${url}/"}
    - type: action
      name: wait-for-go
      provider:
        type: process
        path: sh
        arguments: ["-c", "for i in $(seq 600); do [ -e '${join(dir, "go")}' ] && exit 0; sleep 0.1; done; exit 1"]
`,
  );
  writeFileSync(
    join(dir, "freeze.yaml"),
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: freeze}
spec:
  title: freeze the server
  method:
    - type: action
      name: freeze
      fault: {kind: process-pause, select: {pid: ${pid}}, duration: ${holdS}s}
`,
  );
  writeFileSync(
    join(dir, "never.yaml"),
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: never}
spec:
  title: must never start
  method:
    - type: action
      name: mark
      provider: {type: process, path: touch, arguments: ["${join(dir, "third-step-ran")}"]}
`,
  );
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
metadata: {name: orders}
spec:
  title: Orders game day
  announcedFor: 2026-12-07T14:00:00Z
  participants: {owner: ana, coordinator: bo, reporter: cy, observers: [dee]}
  hypothesis: orders keep answering while the server is frozen
  steady-state-hypothesis:
    title: the server answers
    probes:
      - type: probe
        name: up-before
        provider: {type: http, url: "${url}/", timeout: 2}
        tolerance: 200
  steps:
    - file: warmup.yaml
    - name: freeze
      file: freeze.yaml
    - file: never.yaml
  rollbackPlan: SIGCONT the server by hand (kill -CONT)
  stopConditions:
    - type: probe
      name: orders-answer
      provider: {type: http, url: "${url}/", timeout: 0.3}
      tolerance: 200
  interval: ${INTERVAL_MS}ms
`,
  );
  return file;
}
