/**
 * DNS toxics: what withstand's DNS server does to the names a pattern matches. `nxdomain` and
 * `servfail` answer with that code; `timeout` never answers; `delay` answers late; `address` answers
 * with a wrong address; `truncate` sets TC on UDP answers so clients must retry over TCP.
 */
export const DNS_ANSWERS = ["nxdomain", "servfail", "timeout", "delay", "address", "truncate"] as const;
export type DnsAnswer = (typeof DNS_ANSWERS)[number];

export interface DnsToxic {
  name: string;
  /** A name pattern: `*` any run of characters, `?` one; case-insensitive; the final dot is ignored. */
  names: string;
  answer: DnsAnswer;
  delayMs?: number;
  address?: string;
  ttl?: number;
}

const norm = (n: string) => n.toLowerCase().replace(/\.$/, "");

export function patternRegex(pattern: string): RegExp {
  const body = norm(pattern)
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

/** The first toxic whose pattern matches the queried name. */
export function matchToxic(toxics: Iterable<DnsToxic>, qname: string): DnsToxic | undefined {
  const name = norm(qname);
  for (const t of toxics) if (patternRegex(t.names).test(name)) return t;
  return undefined;
}

export type ToxicParse = { ok: true; toxic: DnsToxic } | { ok: false; error: string };

/** A toxic as the DNS server's API shows it: the same snake_case fields it takes. */
export function dnsToxicJson(toxic: DnsToxic): Record<string, unknown> {
  const { delayMs, ...rest } = toxic;
  return { ...rest, ...(delayMs !== undefined ? { delay_ms: delayMs } : {}) };
}

/** A toxic as the DNS server's API takes it: {name?, names, answer, delay_ms?, address?, ttl?, lease_ms?}. */
export function parseDnsToxic(body: unknown, fallbackName: string): ToxicParse {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, error: "expected a JSON object {names, answer}" };
  const b = body as Record<string, unknown>;
  const known = ["name", "names", "answer", "delay_ms", "address", "ttl", "lease_ms"];
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    return { ok: false, error: `unknown field ${unknown[0]} (expected ${known.join(", ")})` };
  if (typeof b.names !== "string" || b.names === "")
    return { ok: false, error: 'names is required (e.g. "inventory.*")' };
  if (!DNS_ANSWERS.includes(b.answer as DnsAnswer))
    return { ok: false, error: `answer: expected one of ${DNS_ANSWERS.join(", ")}` };
  const toxic: DnsToxic = {
    name: typeof b.name === "string" && b.name !== "" ? b.name : fallbackName,
    names: b.names,
    answer: b.answer as DnsAnswer,
  };
  if (toxic.answer === "delay") {
    if (b.delay_ms === undefined) return { ok: false, error: "delay_ms is required for answer delay" };
    if (typeof b.delay_ms !== "number" || !Number.isFinite(b.delay_ms) || b.delay_ms < 0)
      return { ok: false, error: `delay_ms: expected milliseconds >= 0, got ${JSON.stringify(b.delay_ms)}` };
    toxic.delayMs = b.delay_ms;
  }
  if (toxic.answer === "address") {
    if (typeof b.address !== "string" || ipVersion(b.address) === 0)
      return { ok: false, error: "address is required for answer address (an IPv4 or IPv6 address)" };
    toxic.address = b.address;
  }
  if (
    b.lease_ms !== undefined &&
    (typeof b.lease_ms !== "number" || !Number.isFinite(b.lease_ms) || b.lease_ms <= 0)
  )
    return { ok: false, error: `lease_ms: expected milliseconds > 0, got ${JSON.stringify(b.lease_ms)}` };
  if (b.ttl !== undefined) {
    if (typeof b.ttl !== "number" || b.ttl < 0) return { ok: false, error: "ttl: expected seconds >= 0" };
    toxic.ttl = b.ttl;
  }
  return { ok: true, toxic };
}

/** 4 or 6 for an IP address, 0 otherwise (core stays free of node: modules). */
export function ipVersion(text: string): 0 | 4 | 6 {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) ? 4 : 0;
  return /^[0-9a-f:.]+$/i.test(text) && text.includes(":") && (text.match(/::/g) ?? []).length <= 1 ? 6 : 0;
}
