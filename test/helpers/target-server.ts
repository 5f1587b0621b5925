/**
 * A load target in its own process, so the generator under test never shares its event loop.
 * Usage: target-server.js [--delay MS] [--fail-every N] [--stall-at MS --stall-for MS] [--port N]
 * Prints "port N" when listening. --stall-at pauses all responses once for --stall-for ms.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const delay = arg("--delay", 0);
const failEvery = arg("--fail-every", 0);
const stallAt = arg("--stall-at", -1);
const stallFor = arg("--stall-for", 0);
const started = Date.now();
let n = 0;

const server = createServer((_req, res) => {
  n++;
  const status = failEvery > 0 && n % failEvery === 0 ? 500 : 200;
  const now = Date.now() - started;
  // During a stall every response waits until the stall ends, like a GC pause or a ^Z.
  const stallWait = stallAt >= 0 && now >= stallAt && now < stallAt + stallFor ? stallAt + stallFor - now : 0;
  const send = () => {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end("ok");
  };
  const wait = delay + stallWait;
  if (wait > 0) setTimeout(send, wait);
  else send();
});
server.keepAliveTimeout = 30_000;
server.listen(arg("--port", 0), "127.0.0.1", () =>
  process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`),
);
process.on("SIGTERM", () => process.exit(0));
