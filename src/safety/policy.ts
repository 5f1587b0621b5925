import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * withstand's network policy in one place: what counts as loopback, how tokens are compared, and
 * the guard every API it serves applies (serve, the fault proxy, later monitor and flags).
 *
 * No cookies anywhere, so a browser never attaches a credential on its own. On loopback the Host
 * header must name this server (DNS rebinding); a cross-origin Origin is always refused (CSRF); off
 * loopback every call needs the bearer token. `serve` also wants the token for every mutating call
 * on loopback (its page carries it); the proxy does not, since Toxiproxy clients send none.
 */
export const MIN_TOKEN_LENGTH = 16;

/** 127.0.0.0/8, ::1 (with or without brackets) and localhost. */
export function isLoopbackHost(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i.test(host);
}

/** Constant-time comparison, so a token cannot be guessed byte by byte from response times. */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** How many different characters a token needs: "aaaaaaaaaaaaaaaa" is 16 characters and one guess. */
const MIN_TOKEN_DISTINCT = 6;

/**
 * A --token that is too weak to protect anything: the message for the flag, or undefined when fine.
 * Too short, holding white space (a token cut or padded by a shell), or made of too few different
 * characters (16 times the same one) is refused.
 */
export function weakToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const hint = "(e.g. `openssl rand -hex 16`)";
  if (token.length < MIN_TOKEN_LENGTH)
    return `--token: expected at least ${MIN_TOKEN_LENGTH} characters ${hint}`;
  if (/[\s\p{Cc}]/u.test(token)) return `--token: expected no spaces or control characters ${hint}`;
  if (new Set(token).size < MIN_TOKEN_DISTINCT)
    return `--token: expected a random token, got one of ${new Set(token).size} different characters ${hint}`;
  return undefined;
}

export interface Guard {
  /** Undefined: no token was set (only possible on loopback for the proxy). */
  token: string | undefined;
  loopback: boolean;
  /** host:port forms this server answers to. */
  hosts: Set<string>;
  /** Whether mutating calls need the token even on loopback (serve: yes; the Toxiproxy API: no). */
  tokenForMutations: boolean;
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith("Bearer ")) return h.slice(7).trim();
  const alt = req.headers["x-withstand-token"];
  return typeof alt === "string" ? alt : undefined;
}

/** The guard of a withstand API listening on host:port (the Host check applies on loopback only). */
export function guardFor(
  host: string,
  port: number,
  token: string | undefined,
  tokenForMutations: boolean,
): Guard {
  const loopback = isLoopbackHost(host);
  return { token, loopback, hosts: loopback ? loopbackHosts(host, port) : new Set(), tokenForMutations };
}

/** The Host values a loopback server answers to: its own address and the loopback names, with the port. */
export function loopbackHosts(host: string, port: number): Set<string> {
  const own = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return new Set(["127.0.0.1", "localhost", "[::1]", own].map((h) => `${h}:${port}`));
}

/** Whether the request's Host names this server (always true off loopback, where the token guards). */
export function allowedHost(req: IncomingMessage, guard: Guard): boolean {
  return !guard.loopback || guard.hosts.has(req.headers.host ?? "");
}

/** Undefined when the request may go on; otherwise the status and reason to refuse it with. */
export function refuse(req: IncomingMessage, guard: Guard): { status: number; reason: string } | undefined {
  const host = req.headers.host ?? "";
  if (!allowedHost(req, guard))
    return {
      status: 421,
      reason: `Host ${JSON.stringify(host)} is not this server (expected ${[...guard.hosts][0]})`,
    };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
    return { status: 403, reason: `cross-origin request from ${origin} refused` };
  const mutating = req.method !== "GET" && req.method !== "HEAD";
  const needsToken = !guard.loopback || (mutating && guard.tokenForMutations);
  if (needsToken && (guard.token === undefined || !sameToken(bearer(req), guard.token)))
    return {
      status: 401,
      reason: guard.loopback
        ? "this endpoint changes things: send Authorization: Bearer <token> (the dashboard does)"
        : "send Authorization: Bearer <token> (the server was started with --token off loopback)",
    };
  return undefined;
}
