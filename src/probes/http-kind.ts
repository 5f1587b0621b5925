import type { HttpProviderSpec } from "../core/experiment.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";

// The HTTP client (undici's pools) is loaded when a probe first runs: validating a document that names
// an http provider loads none of it.
let loaded: Promise<typeof import("./http.js")> | undefined;
const client = () => {
  loaded ??= import("./http.js");
  return loaded;
};

import { checkKeys, isRecord, type Reporter, readBool, readNumber, readString } from "../core/reader.js";

const HTTP_KEYS = [
  "type",
  "url",
  "method",
  "headers",
  "arguments",
  "timeout",
  "verify_tls",
  "expected_status",
  "max_retries",
  "secrets",
];
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Chaos Toolkit's http provider, with its field names and semantics. */
function parse(raw: Record<string, unknown>, r: Reporter): HttpProviderSpec | undefined {
  checkKeys(raw, HTTP_KEYS, [], r);
  const url = readString(raw.url, ["url"], r, "an http(s) URL");
  if (url !== undefined && !/^https?:\/\//i.test(url) && !/^\$\{/.test(url))
    r.error(["url"], `got ${JSON.stringify(url)} (expected an http:// or https:// URL)`);
  let method: string | undefined;
  if (raw.method !== undefined) {
    method = readString(raw.method, ["method"], r, "an HTTP method")?.toUpperCase();
    if (method && !HTTP_METHODS.includes(method))
      r.error(["method"], `got ${JSON.stringify(raw.method)} (expected one of ${HTTP_METHODS.join(", ")})`);
  }
  let headers: Record<string, string> | undefined;
  if (raw.headers !== undefined) {
    if (!isRecord(raw.headers)) r.error(["headers"], "expected a mapping of header names to values");
    else
      headers = Object.fromEntries(
        Object.entries(raw.headers).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      );
  }
  let timeout: number | readonly [number, number] | undefined;
  if (raw.timeout !== undefined) {
    if (Array.isArray(raw.timeout)) {
      const [c, rd] = raw.timeout;
      if (raw.timeout.length !== 2) r.error(["timeout"], "expected a number of seconds or [connect, read]");
      const connect = readNumber(c, ["timeout", 0], r, "seconds");
      const read = readNumber(rd, ["timeout", 1], r, "seconds");
      if (connect !== undefined && read !== undefined) timeout = [connect, read];
    } else timeout = readNumber(raw.timeout, ["timeout"], r, "seconds, or [connect, read]");
  }
  const verify = raw.verify_tls === undefined ? undefined : readBool(raw.verify_tls, ["verify_tls"], r);
  let expected: number[] | undefined;
  if (raw.expected_status !== undefined) {
    const list = Array.isArray(raw.expected_status) ? raw.expected_status : [raw.expected_status];
    expected = list.map(
      (v, i) =>
        readNumber(
          v,
          Array.isArray(raw.expected_status) ? ["expected_status", i] : ["expected_status"],
          r,
          "an HTTP status",
        ) ?? 0,
    );
  }
  const retries =
    raw.max_retries === undefined ? undefined : readNumber(raw.max_retries, ["max_retries"], r, "a count");
  if (url === undefined) return undefined;
  return {
    type: "http",
    url,
    method,
    headers,
    arguments: raw.arguments,
    timeout,
    verify_tls: verify,
    expected_status: expected,
    max_retries: retries,
  };
}

/** An HTTP request (Chaos Toolkit's `http` provider): its output is {status, headers, body}. */
export const httpProbe: ProbeKind = defineProbeKind<HttpProviderSpec>({
  type: "http",
  keys: HTTP_KEYS,
  summary: "an HTTP request; output {status, headers, body}",
  parse,
  describe: (p) => `would ${p.method ?? "GET"} ${p.url}`,
  execute: async (p, signal) => (await client()).runHttpProvider(p, signal),
  succeeded: (out) => ((out as { status?: number } | null)?.status ?? 600) < 400,
  close: async () => {
    if (loaded !== undefined) await (await loaded).closeHttpAgents();
  },
});
