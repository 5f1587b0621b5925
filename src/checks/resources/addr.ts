import { createSocket } from "node:dgram";
import { connect } from "node:net";
import type { CheckKind } from "../../core/check-kind.js";

const DEFAULT_TIMEOUT_MS = 500;

/** tcp://host:port, udp://host:port, with [v6] hosts. */
function parse(address: string): { proto: "tcp" | "udp"; host: string; port: number } | undefined {
  const m = /^(tcp|udp):\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
  if (!m) return undefined;
  return { proto: m[1] as "tcp" | "udp", host: (m[2] ?? "").replace(/^\[|\]$/g, ""), port: Number(m[3]) };
}

function tcpReachable(
  host: string,
  port: number,
  timeoutMs: number,
  local: string | undefined,
): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, ...(local ? { localAddress: local } : {}) });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/** UDP has no handshake: reachable unless the host answers the probe with "port unreachable". */
function udpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      done(ok);
    };
    const timer = setTimeout(() => finish(true), Math.min(timeoutMs, 200));
    socket.once("error", () => finish(false));
    socket.connect(port, host, () => socket.send(Buffer.alloc(0)));
  });
}

export const addrKind: CheckKind = {
  type: "addr",
  title: "Addr",
  settings: { address: "string", timeout: "number", "local-address": "string" },
  properties: [{ name: "reachable" }],
  checkId(id, settings) {
    return parse(String(settings.address ?? id))
      ? undefined
      : `${String(settings.address ?? id)}: expected tcp://host:port or udp://host:port`;
  },
  async observe(id, settings) {
    const a = parse(String(settings.address ?? id));
    if (!a) return { reachable: new Error("not an address") };
    const timeoutMs = typeof settings.timeout === "number" ? settings.timeout : DEFAULT_TIMEOUT_MS;
    const local = typeof settings["local-address"] === "string" ? settings["local-address"] : undefined;
    return {
      reachable:
        a.proto === "tcp"
          ? await tcpReachable(a.host, a.port, timeoutMs, local)
          : await udpReachable(a.host, a.port, timeoutMs),
    };
  },
};
