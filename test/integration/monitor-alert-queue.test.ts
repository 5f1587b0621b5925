/**
 * Webhook alerts are queued, not dropped (#25 item 16): a receiver that answers 500 keeps the alert
 * waiting (shown on /__health), the wait survives a restart of the monitor, and the alert arrives
 * once the receiver recovers.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../../src/proxy/listen.js";
import { startCli, waitForOutput } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, until } from "../helpers/processes.js";

interface Alert {
  status: string;
  startsAt: string;
  check: { id: string };
}
interface Health {
  ok: boolean;
  severity?: number;
  checks: { id: string; ok: boolean; severity: number; checkOutput: string }[];
}

const { dir, env } = isolatedEnv();
let receiverUp = false;
const delivered: Alert[] = [];
let onDelivered: (() => void) | undefined;
const hook = await startServer((req, res) => {
  if (!receiverUp) {
    res.writeHead(500);
    res.end("down");
    return;
  }
  delivered.push(JSON.parse(req.body) as Alert);
  res.end("ok");
  onDelivered?.();
});
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) {
    c.kill("SIGTERM");
    await exited(c);
  }
  await hook.close();
});

function stderrLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        child.stderr?.off("data", onData);
        resolve(m[0]);
      }
    };
    child.stderr?.on("data", onData);
    child.once("close", () => reject(new Error(`monitor ended before ${pattern}:\n${seen}`)));
  });
}

async function startMonitor(file: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = startCli(
    [
      "monitor",
      file,
      "--listen",
      `127.0.0.1:${port}`,
      "--interval",
      "1s",
      "--webhook",
      `${hook.url}/alerts`,
      "--system-code",
      "queue-test",
      "--alert-retry-max",
      "1s",
    ],
    { env, cwd: dir },
  );
  children.push(child);
  await waitForOutput(child, "withstand monitor:");
  return { child, url: `http://127.0.0.1:${port}` };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await exited(child);
}

const outboxOf = async (url: string) => {
  const h = (await (await fetch(`${url}/__health`)).json()) as Health;
  return { health: h, check: h.checks.find((c) => c.id === "webhook-alerts") };
};

describe("monitor webhook alerts", () => {
  it("wait in a queue while the receiver fails, survive a restart and arrive when it recovers", async () => {
    writeFileSync(
      join(dir, "failing.yaml"),
      'command:\n  "false":\n    exit-status: 0\n    meta: {severity: 1, businessImpact: test}\n',
    );
    writeFileSync(join(dir, "passing.yaml"), "file:\n  /etc/passwd:\n    exists: true\n");

    const first = await startMonitor("failing.yaml");
    await stderrLine(first.child, /firing .* not delivered: HTTP 500; retrying/);
    const during = await outboxOf(first.url);
    assert.equal(during.check?.ok, false, JSON.stringify(during.health));
    assert.match(during.check?.checkOutput ?? "", /1 alert not delivered .*last error: .*HTTP 500/);
    assert.equal(during.health.ok, false);
    await stop(first.child);
    const stoppedAt = Date.now();

    // The check passes now: any firing alert that arrives comes from the first monitor's queue.
    const second = await startMonitor("passing.yaml");
    await stderrLine(second.child, /firing .* not delivered: HTTP 500; retrying/);
    const kept = await outboxOf(second.url);
    assert.equal(kept.check?.ok, false, "the undelivered alert survived the restart");
    assert.match(kept.check?.checkOutput ?? "", /1 alert not delivered/);

    const arrived = new Promise<void>((resolve) => {
      onDelivered = resolve;
    });
    receiverUp = true;
    await arrived;
    assert.equal(delivered.length, 1, JSON.stringify(delivered));
    assert.equal(delivered[0]?.status, "firing");
    assert.ok(Date.parse(delivered[0]?.startsAt ?? "") < stoppedAt, "the alert is the first monitor's");
    // The monitor drops the alert from its queue once it has read the receiver's answer.
    await until(async () => (await outboxOf(second.url)).check?.ok === true, 15_000, "the queue to empty");
  });
});
