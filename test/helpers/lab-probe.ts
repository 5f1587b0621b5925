/**
 * Runs inside a lab host (ip netns exec NS node lab-probe.js MODE ...) and prints one JSON line.
 *   tcp HOST PORT N TIMEOUT_MS     N connection attempts; how many connected
 *   until-tcp HOST PORT            connect every ~5 ms until one succeeds; the wall-clock time it did
 *   udp HOST PORT N                send N datagrams (paced); how many were sent
 *   bulk HOST PORT BYTES           send BYTES over TCP, then close
 *   sink PORT SKIP                 (a lab process) accept TCP; per connection print bytes and the rate after SKIP bytes
 */
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";

const [mode, ...args] = process.argv.slice(2);
const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);

function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on("connect", () => done(true));
    s.on("error", () => done(false));
  });
}

async function main(): Promise<void> {
  if (mode === "tcp") {
    const [host, port, n, t] = args;
    let ok = 0;
    for (let i = 0; i < Number(n); i++) if (await tryConnect(host as string, Number(port), Number(t))) ok++;
    out({ connected: ok });
  } else if (mode === "until-tcp") {
    // Connects every few ms until one succeeds; prints the wall-clock time of the first success.
    const [host, port] = args;
    out({ started: Date.now() });
    for (let i = 0; i < 2000; i++) {
      if (await tryConnect(host as string, Number(port), 20)) {
        out({ at: Date.now() });
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    out({ at: 0 });
  } else if (mode === "udp") {
    const [host, port, n] = args;
    const sock = createSocket("udp4");
    const payload = Buffer.alloc(64, 1);
    let sent = 0;
    for (let i = 0; i < Number(n); i++) {
      await new Promise<void>((resolve) =>
        sock.send(payload, Number(port), host, (err) => {
          if (!err) sent++;
          resolve();
        }),
      );
    }
    sock.close();
    out({ sent });
  } else if (mode === "bulk") {
    const [host, port, bytes] = args;
    const s = connect({ host: host as string, port: Number(port) });
    s.on("connect", () => {
      s.end(Buffer.alloc(Number(bytes), 7));
    });
    s.on("close", () => out({ sent: Number(bytes) }));
  } else if (mode === "sink") {
    const [port, skip] = args;
    createServer((c) => {
      let bytes = 0;
      let t0 = 0;
      let b0 = 0;
      c.on("data", (d) => {
        bytes += d.length;
        if (t0 === 0 && bytes >= Number(skip)) {
          t0 = performance.now();
          b0 = bytes;
        }
      });
      c.on("end", () => {
        // Readiness checks connect and send nothing: only a transfer is measured.
        if (t0 === 0) return void c.end();
        const secs = (performance.now() - t0) / 1000;
        out({ bytes, bitsPerSecond: ((bytes - b0) * 8) / secs });
        c.end();
      });
    }).listen(Number(port));
  } else throw new Error(`unknown mode ${mode}`);
}
main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
