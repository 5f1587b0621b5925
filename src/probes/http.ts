import { Agent, type Dispatcher, request } from "undici";
import { ActivityFailure } from "../core/errors.js";
import type { HttpProviderSpec } from "../core/experiment.js";

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export { ActivityFailure };

const agents = new Map<string, Agent>();

/** One keep-alive agent per (connect timeout, TLS verification) so probes reuse connections. */
function agentFor(connectMs: number | undefined, verifyTls: boolean): Dispatcher {
  const key = `${connectMs ?? ""}:${verifyTls}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { ...(connectMs !== undefined ? { timeout: connectMs } : {}), rejectUnauthorized: verifyTls },
      keepAliveTimeout: 4000,
    });
    agents.set(key, agent);
  }
  return agent;
}

export async function closeHttpAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close().catch(() => undefined)));
}

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const media = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return media === "application/json" || media.endsWith("+json");
}

/**
 * User info in the URL becomes HTTP basic auth (as requests and curl do) and is taken out of the URL,
 * so it never reaches a request line, an error message or a log. An Authorization header wins.
 */
function withoutUserInfo(spec: HttpProviderSpec): HttpProviderSpec {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    return spec;
  }
  if (url.username === "" && url.password === "") return spec;
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  if (!Object.keys(headers).some((k) => k.toLowerCase() === "authorization"))
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
  return { ...spec, url: url.toString(), headers };
}

function buildRequest(given: HttpProviderSpec): {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
} {
  const spec = withoutUserInfo(given);
  const method = (spec.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  const args = spec.arguments;
  if (args === undefined || args === null) return { url: spec.url, method, headers };
  if (method === "GET" || method === "HEAD") {
    const url = new URL(spec.url);
    if (typeof args === "object") {
      for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
        for (const item of Array.isArray(v) ? v : [v])
          url.searchParams.append(k, typeof item === "string" ? item : JSON.stringify(item));
      }
    }
    return { url: url.toString(), method, headers };
  }
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  if (isJsonType(contentType)) return { url: spec.url, method, headers, body: JSON.stringify(args) };
  if (typeof args === "string") return { url: spec.url, method, headers, body: args };
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(args as Record<string, unknown>))
    form.append(k, typeof v === "string" ? v : JSON.stringify(v));
  if (!contentType) headers["content-type"] = "application/x-www-form-urlencoded";
  return { url: spec.url, method, headers, body: form.toString() };
}

/** The CTK http provider: returns {status, headers, body}; only transport errors (and expected_status) fail it. */
export async function runHttpProvider(spec: HttpProviderSpec, signal: AbortSignal): Promise<HttpOutput> {
  const req = buildRequest(spec);
  const [connectS, readS] = Array.isArray(spec.timeout) ? spec.timeout : [spec.timeout, spec.timeout];
  const readMs = typeof readS === "number" ? readS * 1000 : 30_000;
  const connectMs = typeof connectS === "number" ? connectS * 1000 : undefined;
  const dispatcher = agentFor(connectMs, spec.verify_tls !== false);
  const attempts = 1 + (spec.max_retries ?? 0);
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const res = await request(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher,
        headersTimeout: readMs,
        bodyTimeout: readMs,
        signal,
      });
      const text = await res.body.text();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      let body: unknown = text;
      if (isJsonType(headers["content-type"])) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const output = { status: res.statusCode, headers, body };
      if (spec.expected_status && !spec.expected_status.includes(res.statusCode)) {
        throw new ActivityFailure(
          `HTTP ${res.statusCode} from ${req.method} ${req.url} (expected ${spec.expected_status.join(" or ")})`,
          output,
        );
      }
      return output;
    } catch (err) {
      if (err instanceof ActivityFailure) throw err;
      if (signal.aborted)
        throw new ActivityFailure(`${req.method} ${req.url} stopped: run stopping`, undefined, {
          cause: err,
        });
      lastError = err;
    }
  }
  const e = lastError as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code ?? "";
  const why =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
        ? `no response within ${readMs}ms`
        : code === "UND_ERR_CONNECT_TIMEOUT"
          ? "connect timeout"
          : e.message;
  throw new ActivityFailure(`${req.method} ${req.url} failed: ${why}`, undefined, { cause: lastError });
}
