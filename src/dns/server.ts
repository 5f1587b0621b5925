import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer, isIP, type Server, Socket } from "node:net";
import dnsPacket from "dns-packet";
import { type DnsToxic, matchToxic } from "../core/dns-toxic.js";

/**
 * withstand's DNS server (UDP and TCP on one port): answers its own records, forwards everything else
 * to the real resolver, and applies toxics to the names they match. The wire format is dns-packet's.
 */
export interface Upstream {
  host: string;
  port: number;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** RFC 1035 / 1996 / 2136 opcodes: only QUERY is served; NOTIFY and UPDATE are refused as a resolver does. */
const OPCODE = { QUERY: 0, NOTIFY: 4, UPDATE: 5 } as const;
/** A TCP client that sends nothing for this long is dropped; at most this many are served at once. */
export const TCP_IDLE_MS = 10_000;
export const TCP_MAX_CONNECTIONS = 128;
const FORWARD_TIMEOUT_MS = 3000;

interface HeldToxic {
  toxic: DnsToxic;
  /** Leased toxics (created by a runner) vanish when their lease is not renewed: a dead runner's go. */
  expiresAt?: number;
}

/** The first `nameserver` of /etc/resolv.conf, the resolver this machine uses. */
export function systemUpstream(): Upstream | undefined {
  try {
    const line = readFileSync("/etc/resolv.conf", "utf8")
      .split("\n")
      .find((l) => /^\s*nameserver\s+\S+/.test(l));
    const host = line?.trim().split(/\s+/)[1];
    return host && isIP(host) ? { host, port: 53 } : undefined;
  } catch {
    return undefined;
  }
}

type Decoded = ReturnType<typeof dnsPacket.decode>;

/**
 * The longest delay the server can hold an answer for: Node's timers hold at most 2^31-1 ms (about
 * 24.8 days), and a longer one fires at once, so the answer would go out undelayed.
 */
export const MAX_DNS_DELAY_MS = 2_147_483_647;

/** Why a toxic's delay cannot be held, or undefined. */
export function delayTooLong(toxic: DnsToxic): string | undefined {
  return toxic.delayMs !== undefined && toxic.delayMs > MAX_DNS_DELAY_MS
    ? `delay_ms ${toxic.delayMs} is longer than the ${MAX_DNS_DELAY_MS} ms (about 24.8 days) withstand dns can hold an answer`
    : undefined;
}

export class DnsServer {
  private readonly toxics = new Map<string, HeldToxic>();
  private readonly records = new Map<string, string[]>();
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  /** Open TCP clients: closing the server ends them, so a stop never waits on an idle client. */
  private readonly tcpClients = new Set<Socket>();
  /** Queries answered, by what answered them: for `withstand dns`'s log and tests. */
  readonly counts = { queries: 0, toxic: 0, record: 0, forwarded: 0 };

  constructor(private readonly upstream: Upstream | undefined) {}

  /** A static record: `name` answers with these addresses (A for IPv4, AAAA for IPv6). */
  addRecord(name: string, addresses: string[]): void {
    this.records.set(name.toLowerCase().replace(/\.$/, ""), addresses);
  }

  listToxics(): (DnsToxic & { lease_expires_in_ms?: number })[] {
    this.expire();
    return [...this.toxics.values()].map((h) => ({
      ...h.toxic,
      ...(h.expiresAt !== undefined ? { lease_expires_in_ms: Math.max(0, h.expiresAt - Date.now()) } : {}),
    }));
  }

  addToxic(toxic: DnsToxic, leaseMs?: number): void {
    const why = delayTooLong(toxic);
    if (why) throw new Error(why);
    if (this.toxics.has(toxic.name)) throw new Error(`toxic ${toxic.name} already exists`);
    this.toxics.set(toxic.name, { toxic, ...(leaseMs ? { expiresAt: Date.now() + leaseMs } : {}) });
  }

  removeToxic(name: string): boolean {
    return this.toxics.delete(name);
  }

  renewLease(name: string, leaseMs: number): boolean {
    const held = this.toxics.get(name);
    if (!held) return false;
    held.expiresAt = Date.now() + leaseMs;
    return true;
  }

  private expire(): void {
    const now = Date.now();
    for (const [name, h] of this.toxics)
      if (h.expiresAt !== undefined && h.expiresAt <= now) this.toxics.delete(name);
  }

  /** Listens on UDP and TCP at the same address; port 0 picks one free for both. */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const family = isIP(host) === 6 ? "udp6" : "udp4";
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket(family);
      const bound = await new Promise<number | Error>((resolve) => {
        udp.once("error", resolve);
        udp.bind(port, host, () => resolve(udp.address().port));
      });
      if (bound instanceof Error) throw bound;
      const tcp = createServer((socket) => this.serveTcp(socket));
      // Idle or half-sent connections must not pile up (each holds a file descriptor).
      tcp.maxConnections = TCP_MAX_CONNECTIONS;
      const ok = await new Promise<boolean | Error>((resolve) => {
        tcp.once("error", (err: NodeJS.ErrnoException) =>
          resolve(err.code === "EADDRINUSE" && port === 0 ? false : err),
        );
        tcp.listen(bound, host, () => resolve(true));
      });
      if (ok === true) {
        udp.on("message", (msg, rinfo) => {
          void this.answer(msg, "udp").then((reply) => {
            if (reply) udp.send(reply, rinfo.port, rinfo.address);
          });
        });
        this.udp = udp;
        this.tcp = tcp;
        return { host, port: bound };
      }
      udp.close();
      // The UDP port was free but its TCP twin was not (only with port 0): pick another.
      if (ok instanceof Error || attempt > 20)
        throw ok instanceof Error ? ok : new Error("no free port for UDP and TCP");
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r()));
    for (const c of this.tcpClients) c.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  private serveTcp(socket: Socket): void {
    this.tcpClients.add(socket);
    socket.once("close", () => this.tcpClients.delete(socket));
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void this.answer(msg, "tcp").then((reply) => {
          if (!reply || socket.destroyed) return;
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
    socket.on("error", () => socket.destroy());
  }

  /** The answer to one query (undefined: no answer at all). Never throws. */
  async answer(msg: Buffer, transport: "udp" | "tcp"): Promise<Buffer | undefined> {
    let query: Decoded;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const flags = msg.length >= 4 ? msg.readUInt16BE(2) : 0;
    // A response is never answered (QR=1): answering responses makes reflection loops.
    if (flags & 0x8000) return undefined;
    this.counts.queries++;
    const opcode = (flags >> 11) & 0xf;
    if (opcode !== OPCODE.QUERY)
      return reply(query, opcode === OPCODE.UPDATE ? RCODE.REFUSED : RCODE.NOTIMP, [], opcode << 11);
    const q = query.questions?.[0];
    if (!q) return reply(query, RCODE.SERVFAIL);
    this.expire();
    const toxic = matchToxic(
      [...this.toxics.values()].map((h) => h.toxic),
      q.name,
    );
    if (toxic) {
      this.counts.toxic++;
      switch (toxic.answer) {
        case "timeout":
          return undefined;
        case "nxdomain":
          return reply(query, RCODE.NXDOMAIN);
        case "servfail":
          return reply(query, RCODE.SERVFAIL);
        case "truncate":
          if (transport === "udp") return reply(query, RCODE.NOERROR, [], dnsPacket.TRUNCATED_RESPONSE);
          break;
        case "address":
          return reply(query, RCODE.NOERROR, addressAnswers(q, [toxic.address ?? ""], toxic.ttl ?? 1));
        case "delay":
          await new Promise((r) => setTimeout(r, toxic.delayMs ?? 0));
          break;
      }
    }
    const own = this.records.get(q.name.toLowerCase().replace(/\.$/, ""));
    if (own) {
      this.counts.record++;
      return reply(query, RCODE.NOERROR, addressAnswers(q, own, 5), dnsPacket.AUTHORITATIVE_ANSWER);
    }
    if (!this.upstream) return reply(query, RCODE.SERVFAIL);
    this.counts.forwarded++;
    return (await forward(msg, this.upstream, transport)) ?? reply(query, RCODE.SERVFAIL);
  }
}

function addressAnswers(
  q: { name: string; type: string },
  addresses: string[],
  ttl: number,
): dnsPacket.Answer[] {
  const want = q.type === "AAAA" ? 6 : q.type === "A" ? 4 : 0;
  return addresses
    .filter((a) => isIP(a) === want)
    .map(
      (data) =>
        ({ type: want === 6 ? "AAAA" : "A", name: q.name, ttl, class: "IN", data }) as dnsPacket.Answer,
    );
}

function reply(query: Decoded, rcode: number, answers: dnsPacket.Answer[] = [], extraFlags = 0): Buffer {
  const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  return dnsPacket.encode({
    id: query.id ?? 0,
    type: "response",
    flags: rd | dnsPacket.RECURSION_AVAILABLE | extraFlags | rcode,
    questions: query.questions ?? [],
    answers,
  });
}

/** Passes a query to the upstream resolver as it came, over the same transport. */
function forward(msg: Buffer, up: Upstream, transport: "udp" | "tcp"): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    let finish: () => void = () => undefined;
    const done = (b: Buffer | undefined) => {
      clearTimeout(timer);
      finish();
      resolve(b);
    };
    if (transport === "udp") {
      const sock = createSocket(isIP(up.host) === 6 ? "udp6" : "udp4");
      finish = () => sock.close();
      sock.once("message", (b) => done(b));
      sock.once("error", () => done(undefined));
      sock.send(msg, up.port, up.host);
      return;
    }
    const sock = new Socket();
    finish = () => sock.destroy();
    let got = Buffer.alloc(0);
    sock.on("data", (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0))
        done(got.subarray(2, 2 + got.readUInt16BE(0)));
    });
    sock.once("error", () => done(undefined));
    sock.connect(up.port, up.host, () => {
      const framed = Buffer.alloc(2 + msg.length);
      framed.writeUInt16BE(msg.length, 0);
      msg.copy(framed, 2);
      sock.write(framed);
    });
  });
}
