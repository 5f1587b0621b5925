import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * The API's guards. No cookies anywhere, so the browser never attaches a credential on its own; a
 * bearer token is required for every mutating call (and for every call off loopback); the Host header
 * must name this server on loopback (DNS rebinding) and a cross-origin Origin is refused (CSRF).
 */
export interface Guard {
  token: string;
  loopback: boolean;
  /** host:port forms this server answers to. */
  hosts: Set<string>;
}

export function isLoopbackHost(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost" || /^127\./.test(host);
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined;
}

function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Undefined when the request may go on; otherwise the status and reason to refuse it with. */
export function refuse(req: IncomingMessage, guard: Guard): { status: number; reason: string } | undefined {
  const host = req.headers.host ?? "";
  if (guard.loopback && !guard.hosts.has(host))
    return {
      status: 421,
      reason: `Host ${JSON.stringify(host)} is not this server (expected ${[...guard.hosts][0]})`,
    };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
    return { status: 403, reason: `cross-origin request from ${origin} refused` };
  const mutating = req.method !== "GET" && req.method !== "HEAD";
  if ((mutating || !guard.loopback) && !sameToken(bearer(req), guard.token))
    return {
      status: 401,
      reason: mutating
        ? "this endpoint changes things: send Authorization: Bearer <token> (the dashboard does)"
        : "send Authorization: Bearer <token> (serve was started with --token off loopback)",
    };
  return undefined;
}
