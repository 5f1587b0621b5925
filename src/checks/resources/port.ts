import type { CheckKind } from "../../core/check-kind.js";
import { procNetSockets } from "../../platform/processes.js";

const LISTEN = "0A";
const UDP_UNCONNECTED = "07";

/** An address from /proc/net/{tcp,udp}[6]: little-endian hex words. */
function procAddress(hex: string, v6: boolean): string {
  if (!v6) {
    const n = Number.parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    const bytes = (w.match(/../g) ?? []).reverse().join("");
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const groups = words.map((w) => Number.parseInt(w, 16).toString(16));
  // The shortest form, as Go prints it: the longest run of zero groups becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text =
    best === -1
      ? groups.join(":")
      : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  const mapped = /^::ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
  if (mapped) {
    const hi = Number.parseInt(mapped[1] ?? "0", 16);
    const lo = Number.parseInt(mapped[2] ?? "0", 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return text;
}

function listeners(proto: "tcp" | "tcp6" | "udp" | "udp6", port: number): string[] {
  const v6 = proto.endsWith("6");
  const ips: string[] = [];
  for (const s of procNetSockets(proto)) {
    if (s.port !== port || s.state !== (proto.startsWith("tcp") ? LISTEN : UDP_UNCONNECTED)) continue;
    const ip = procAddress(s.localHex, v6);
    if (!ips.includes(ip)) ips.push(ip);
  }
  return ips;
}

function parse(id: string): { proto: "tcp" | "tcp6" | "udp" | "udp6"; port: number } | undefined {
  const m = /^(?:(tcp6?|udp6?):)?(\d+)$/.exec(id);
  return m ? { proto: (m[1] ?? "tcp") as "tcp" | "tcp6" | "udp" | "udp6", port: Number(m[2]) } : undefined;
}

export const portKind: CheckKind = {
  type: "port",
  title: "Port",
  settings: { port: "string" },
  properties: [{ name: "listening" }, { name: "ip" }],
  gate: "listening",
  checkId(id, settings) {
    const p = String(settings.port ?? id);
    return parse(p) ? undefined : `${p}: expected tcp:PORT, tcp6:PORT, udp:PORT or udp6:PORT`;
  },
  async observe(id, settings) {
    const p = parse(String(settings.port ?? id));
    if (!p) return { listening: new Error("not a port") };
    const ips = listeners(p.proto, p.port);
    return { listening: ips.length > 0, ip: ips };
  },
};
