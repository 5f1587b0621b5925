import { lookup } from "node:dns/promises";
import { Agent, request } from "undici";
import { parseDuration } from "../core/duration.js";
import {
  checkChecklyAssertion,
  checkGatusCondition,
  extract,
  type ObservedResponse,
} from "../core/http-assertions.js";
import { sleep } from "../core/sleep.js";
import type { SyntheticSpec, SyntheticStep } from "../documents/synthetic.js";

/** What one step did: its request and response (secrets redacted), its time, and why it failed. */
export interface StepResult {
  name: string;
  status: "passed" | "failed" | "skipped";
  degraded: boolean;
  responseTimeMs: number;
  failures: string[];
  /** A network error (no response): Checkly's `onlyOn: NETWORK_ERROR` retries only these. */
  networkError: boolean;
  request?: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string };
}

export interface SyntheticResult {
  name: string;
  ok: boolean;
  degraded: boolean;
  startedAt: string;
  durationMs: number;
  attempts: number;
  steps: StepResult[];
  /** The first failure, in one line. */
  reason: string;
}

const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token)$/i;
const SECRET_FIELDS = /pass(word)?|secret|token|api[-_]?key|authorization|credential/i;
const MAX_CAPTURED_BODY = 16 * 1024;
const REDACTED = "[redacted]";

function redactJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactJson);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        SECRET_FIELDS.test(k) && typeof x !== "object" ? REDACTED : redactJson(x),
      ]),
    );
  return v;
}

/** Bodies and headers as documentation may show them: secrets replaced, long bodies cut. */
export function redactBody(body: string): string {
  let out = body;
  try {
    out = JSON.stringify(redactJson(JSON.parse(body)), null, 2);
  } catch {
    out = body.replace(/((?:password|secret|token|api[-_]?key)=)[^&\s]+/gi, `$1${REDACTED}`);
  }
  return out.length > MAX_CAPTURED_BODY
    ? `${out.slice(0, MAX_CAPTURED_BODY)}\n[... ${out.length - MAX_CAPTURED_BODY} more characters]`
    : out;
}

function redactHeaders(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, SECRET_HEADERS.test(k) ? REDACTED : v]));
}

/** `${name}` in a string, from the variables saved so far (unknown names stay, and fail visibly). */
function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) =>
    Object.hasOwn(vars, name) ? (vars[name] ?? "") : m,
  );
}

function headerMap(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/** The address a URL's host resolves to, as Gatus looks it up for [IP]; undefined when it does not resolve. */
async function resolvedIp(url: string): Promise<string | undefined> {
  try {
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
    return (await lookup(host)).address;
  } catch {
    return undefined;
  }
}

async function runStep(
  s: SyntheticStep,
  spec: SyntheticSpec,
  vars: Record<string, string>,
  dispatcher: Agent,
  signal: AbortSignal,
): Promise<StepResult> {
  const url = substitute(s.request.url, vars);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.request.headers)) headers[k] = substitute(String(v), vars);
  let body: string | undefined;
  if (s.request.json !== undefined) {
    body = substitute(JSON.stringify(s.request.json), vars);
    headers["content-type"] ??= "application/json";
  } else if (s.request.body !== undefined) body = substitute(s.request.body, vars);
  const method = s.request.method.toUpperCase();
  const timeoutMs =
    s.request.timeout !== undefined
      ? (parseDuration(s.request.timeout) ?? spec.maxResponseTimeMs)
      : spec.maxResponseTimeMs;
  const captured = {
    method,
    url,
    headers: redactHeaders(headers),
    ...(body !== undefined ? { body: redactBody(body) } : {}),
  };
  const started = performance.now();
  let observed: ObservedResponse;
  let rawHeaders: Record<string, string>;
  try {
    const res = await request(url, {
      method: method as "GET",
      headers,
      ...(body !== undefined ? { body } : {}),
      dispatcher,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    const text = await res.body.text();
    rawHeaders = headerMap(res.headers);
    observed = {
      status: res.statusCode,
      headers: rawHeaders,
      body: text,
      responseTimeMs: performance.now() - started,
      connected: true,
      // Gatus's [IP]: the address the request's host resolves to (its first, as Gatus takes it).
      ...(s.conditions.some((c) => c.text.includes("[IP]")) ? { ip: await resolvedIp(url) } : {}),
    };
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    return {
      name: s.name,
      status: "failed",
      degraded: false,
      responseTimeMs: performance.now() - started,
      failures: [timedOut ? `no response within ${timeoutMs} ms` : `request failed: ${e.message}`],
      networkError: true,
      request: captured,
    };
  }
  const failures: string[] = [];
  for (const a of s.assertions) {
    const why = checkChecklyAssertion(a, observed);
    if (why) failures.push(why);
  }
  for (const c of s.conditions) {
    const why = checkGatusCondition(c, observed);
    if (why) failures.push(why);
  }
  if (observed.responseTimeMs > spec.maxResponseTimeMs)
    failures.push(
      `response took ${Math.round(observed.responseTimeMs)} ms (maxResponseTime ${spec.maxResponseTimeMs})`,
    );
  for (const [name, expression] of Object.entries(s.save)) {
    const got = extract(expression, observed);
    if (got.found) vars[name] = got.value;
    else failures.push(`save ${name}: ${expression} is not in the response`);
  }
  return {
    name: s.name,
    status: failures.length === 0 ? "passed" : "failed",
    degraded: observed.responseTimeMs > spec.degradedResponseTimeMs,
    responseTimeMs: observed.responseTimeMs,
    failures,
    networkError: false,
    request: captured,
    response: {
      status: observed.status,
      headers: redactHeaders(rawHeaders),
      body: redactBody(observed.body),
    },
  };
}

/** One attempt: steps in order; after a failure only `alwaysRun` steps (clean-up) still run. */
async function attempt(spec: SyntheticSpec, signal: AbortSignal): Promise<StepResult[]> {
  const vars: Record<string, string> = { ...spec.variables };
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const results: StepResult[] = [];
  let failed = false;
  try {
    for (const s of spec.steps) {
      if ((failed && !s.alwaysRun) || signal.aborted) {
        results.push({
          name: s.name,
          status: "skipped",
          degraded: false,
          responseTimeMs: 0,
          failures: [],
          networkError: false,
        });
        continue;
      }
      const r = await runStep(s, spec, vars, dispatcher, signal);
      results.push(r);
      if (r.status === "failed") failed = true;
    }
  } finally {
    await dispatcher.close();
  }
  return results;
}

/** Said before waiting out a backoff, so a run that retries is never minutes of silence. */
export interface RetryNotice {
  /** The attempt that failed (1-based) and the number of retries allowed. */
  attempt: number;
  of: number;
  delayMs: number;
  strategy: string;
  reason: string;
}

/** Checkly's backoff before retry n (1-based). */
export function backoffMs(
  type: NonNullable<SyntheticSpec["retry"]>["type"],
  baseSeconds: number,
  n: number,
): number {
  const base = baseSeconds * 1000;
  switch (type) {
    case "LINEAR":
      return base * n;
    case "EXPONENTIAL":
      return 1000 * baseSeconds ** n;
    case "FIXED":
    case "SINGLE_RETRY":
      return base;
    case "NO_RETRIES":
      return 0;
  }
}

function maxRetries(spec: SyntheticSpec): number {
  const r = spec.retry;
  if (!r || r.type === "NO_RETRIES") return 0;
  return r.type === "SINGLE_RETRY" ? 1 : r.maxRetries;
}

/**
 * Runs a synthetic once, retrying a failed run as Checkly does (strategy, limit, time budget, network
 * errors only if asked). `shouldFail` inverts the verdict.
 */
export async function runSynthetic(
  spec: SyntheticSpec,
  signal: AbortSignal,
  wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
  onRetry?: (retry: RetryNotice) => void,
): Promise<SyntheticResult> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let steps: StepResult[] = [];
  let attempts = 0;
  for (;;) {
    attempts++;
    steps = await attempt(spec, signal);
    const failed = steps.filter((s) => s.status === "failed");
    const passed = failed.length === 0;
    if (passed !== spec.shouldFail || signal.aborted) break;
    const r = spec.retry;
    if (!r || attempts > maxRetries(spec)) break;
    if (r.onlyOn === "NETWORK_ERROR" && !failed.some((s) => s.networkError)) break;
    const delay = backoffMs(r.type, r.baseBackoffSeconds, attempts);
    if (performance.now() - started + delay > r.maxDurationSeconds * 1000) break;
    onRetry?.({
      attempt: attempts,
      of: maxRetries(spec),
      delayMs: delay,
      strategy: r.type,
      reason: failed[0]
        ? `step ${failed[0].name}: ${failed[0].failures[0] ?? "failed"}`
        : "passed, but shouldFail",
    });
    await wait(delay, signal);
  }
  const failed = steps.find((s) => s.status === "failed");
  const passed = !failed;
  const ok = passed !== spec.shouldFail;
  return {
    name: spec.name,
    ok,
    degraded: ok && steps.some((s) => s.degraded),
    startedAt,
    durationMs: performance.now() - started,
    attempts,
    steps,
    reason: ok
      ? spec.shouldFail
        ? "failed, as shouldFail expects"
        : "every step passed"
      : spec.shouldFail
        ? "passed, but shouldFail expects a failure"
        : `step ${failed?.name}: ${failed?.failures[0] ?? "failed"}`,
  };
}
