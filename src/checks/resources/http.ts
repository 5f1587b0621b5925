import { readFileSync } from "node:fs";
import { Agent, ProxyAgent, request } from "undici";
import type { CheckKind } from "../../core/check-kind.js";
import { VERSION } from "../../core/version.js";

const DEFAULT_TIMEOUT_MS = 5000;
/** What Goss sends (system/http.go: "goss/" and its version), with withstand's version. */
export const USER_AGENT = `goss/${VERSION}`;
const MAX_REDIRECTS = 10;

/** Go's canonical header names, as Goss prints them: "content-type" → "Content-Type". */
function canonical(name: string): string {
  return name
    .split("-")
    .map((p) => (p ? p[0]?.toUpperCase() + p.slice(1).toLowerCase() : p))
    .join("-");
}

function requestHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const list = Array.isArray(raw)
    ? raw
    : raw && typeof raw === "object"
      ? Object.entries(raw).map(([k, v]) => `${k}: ${String(v)}`)
      : [];
  for (const h of list) {
    const text = String(h);
    const i = text.indexOf(":");
    if (i > 0) out[text.slice(0, i).trim()] = text.slice(i + 1).trim();
  }
  return out;
}

function dispatcherFor(settings: Readonly<Record<string, unknown>>, timeoutMs: number) {
  const tls: Record<string, unknown> = {};
  if (settings["allow-insecure"] === true) tls.rejectUnauthorized = false;
  // Goss writes unset files as "" (its schema's sample does): only a named file is read.
  const file = (key: string) =>
    typeof settings[key] === "string" && settings[key] ? readFileSync(settings[key]) : undefined;
  const ca = file("ca-file");
  const cert = file("cert-file");
  const key = file("key-file");
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  const options = {
    connect: { ...tls, timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
  return typeof settings.proxy === "string" && settings.proxy
    ? new ProxyAgent({ uri: settings.proxy, ...options })
    : new Agent(options);
}

export const httpKind: CheckKind = {
  type: "http",
  title: "HTTP",
  settings: {
    url: "string",
    method: "string",
    "allow-insecure": "boolean",
    "no-follow-redirects": "boolean",
    timeout: "number",
    "request-headers": "any",
    "request-body": "string",
    username: "string",
    password: "string",
    "ca-file": "string",
    "cert-file": "string",
    "key-file": "string",
    proxy: "string",
  },
  properties: [
    { name: "status" },
    { name: "headers", aliases: ["header"], unsetWhenEmpty: true },
    { name: "body", stream: true },
  ],
  // Goss's shouldSkip: when status fails or errors, headers and body are skipped, not failed.
  gate: "status",
  checkId(id, settings) {
    try {
      const u = new URL(String(settings.url ?? id));
      return u.protocol === "http:" || u.protocol === "https:"
        ? undefined
        : `${u.href}: expected an http:// or https:// URL`;
    } catch {
      return `${String(settings.url ?? id)}: not a valid URL`;
    }
  },
  async observe(id, settings, _wanted, ctx) {
    const timeoutMs = typeof settings.timeout === "number" ? settings.timeout : DEFAULT_TIMEOUT_MS;
    const headers = requestHeaders(settings["request-headers"]);
    // Goss sends `User-Agent: goss/<version>` unless the entry sets one; withstand sends its own version.
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "user-agent"))
      headers["User-Agent"] = USER_AGENT;
    if (typeof settings.username === "string" && settings.username)
      headers.Authorization = `Basic ${Buffer.from(`${settings.username}:${String(settings.password ?? "")}`).toString("base64")}`;
    const dispatcher = dispatcherFor(settings, timeoutMs);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      let url = String(settings.url ?? id);
      let method = typeof settings.method === "string" ? settings.method.toUpperCase() : "GET";
      for (let hop = 0; ; hop++) {
        const res = await request(url, {
          method: method as "GET",
          headers,
          ...(typeof settings["request-body"] === "string" ? { body: settings["request-body"] } : {}),
          dispatcher,
          signal,
        });
        const location = res.headers.location;
        if (
          settings["no-follow-redirects"] !== true &&
          res.statusCode >= 300 &&
          res.statusCode < 400 &&
          location &&
          hop < MAX_REDIRECTS
        ) {
          await res.body.dump();
          url = new URL(String(location), url).href;
          if (
            res.statusCode === 303 ||
            ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")
          )
            method = "GET";
          continue;
        }
        const body = await res.body.text();
        const list: string[] = [];
        for (const [k, v] of Object.entries(res.headers))
          for (const value of Array.isArray(v) ? v : [v])
            if (value !== undefined) list.push(`${canonical(k)}: ${value}`);
        return { status: res.statusCode, headers: list, body };
      }
    } catch (err) {
      const e = new Error(
        (err as Error).name === "TimeoutError" || signal.aborted
          ? `timed out after ${timeoutMs}ms`
          : (err as Error).message,
      );
      return { status: e, headers: e, body: e };
    } finally {
      await dispatcher.close();
    }
  },
};
