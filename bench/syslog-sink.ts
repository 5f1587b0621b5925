/**
 * bench/syslog-sink: what withstand would run to judge a canary behind HAProxy: it receives HAProxy's
 * per-request log lines over UDP (log-format "%s %ST %Tr") and tallies them per server and status, as
 * the judge's samples would be. Prints "port N" when ready and its tallies as JSON on SIGTERM.
 */
import { createSocket } from "node:dgram";

const tally = new Map<string, number>();
let lines = 0;
let latencySumMs = 0;
const socket = createSocket("udp4");
socket.on("message", (msg: Buffer) => {
  // "<134>Dec  1 04:22:55 haproxy[1]: canary 200 0": the fields follow the last ": ".
  const text = msg.toString("latin1");
  const fields = text
    .slice(text.lastIndexOf(": ") + 2)
    .trim()
    .split(" ");
  const [server, status, tr] = fields;
  if (server === undefined || status === undefined) return;
  lines++;
  latencySumMs += Number(tr ?? 0);
  const key = `${server} ${status}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
});
socket.bind(0, "127.0.0.1", () => {
  // Room for a burst of lines while this process waits for the core it shares with HAProxy.
  socket.setRecvBufferSize(8 * 1024 * 1024);
  console.log(`port ${socket.address().port}`);
});
process.on("SIGTERM", () => {
  console.log(JSON.stringify({ lines, latencySumMs, tally: Object.fromEntries(tally) }));
  process.exit(0);
});
