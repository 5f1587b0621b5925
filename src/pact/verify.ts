import { request } from "undici";
import {
  type Generator,
  type GeneratorContext,
  generateBody,
  generateText,
} from "../core/pact/generators.js";
import type { Mismatch } from "../core/pact/json.js";
import type { PactInteraction, PactRequest } from "../core/pact/pact-file.js";
import type { LoadedPact } from "./load.js";
import { Matcher } from "./matching.js";
import { changeStates, StateChangeError, type StateHandler } from "./states.js";

export interface VerifyOptions {
  providerBaseUrl: string;
  states: StateHandler;
  /** Only pacts of this consumer, interactions with this description or provider state. */
  consumer?: string | undefined;
  interaction?: string | undefined;
  state?: string | undefined;
  /** Extra headers sent with every request (e.g. authorisation the pact leaves out). */
  headers?: Record<string, string> | undefined;
  /** The whole response, headers and body, must arrive within this (default 30 s). */
  timeoutMs?: number | undefined;
  /** A response body over this many bytes is not read further and fails the interaction (default 10 MB). */
  maxBodyBytes?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called as each interaction is verified (progress on long runs). */
  onResult?: (r: InteractionResult) => void;
}

export type InteractionStatus = "verified" | "failed" | "error" | "not-http" | "pending";

export interface InteractionResult {
  source: string;
  consumer: string;
  provider: string;
  specification: string;
  description: string;
  states: string[];
  status: InteractionStatus;
  mismatches: Mismatch[];
  /** What went wrong outside matching: a state change, a refused connection, a timeout. */
  error?: string;
  request: { method: string; url: string };
  durationMs: number;
}

function stateMatches(i: PactInteraction, state: string | undefined): boolean {
  return state === undefined || i.states.some((s) => s.name === state);
}

/** The interactions a filter keeps, with their pact. */
export function selectInteractions(
  pacts: readonly LoadedPact[],
  o: Pick<VerifyOptions, "consumer" | "interaction" | "state">,
) {
  return pacts.flatMap((p) =>
    o.consumer !== undefined && p.pact.consumer !== o.consumer
      ? []
      : p.pact.interactions
          .filter(
            (i) =>
              (o.interaction === undefined || i.description === o.interaction) && stateMatches(i, o.state),
          )
          .map((i) => ({ loaded: p, interaction: i })),
  );
}

/**
 * The request as the verifier sends it: each generator's value, as pact_matching's
 * `generate_request` makes it. A generator that cannot make one (a provider state value that is not
 * there) keeps the recorded example; a header or query parameter the pact has no example of is added.
 */
function applyRequestGenerators(
  req: PactRequest,
  generators: Record<string, unknown>,
  ctx: GeneratorContext,
): PactRequest {
  const out = { ...req, query: [...req.query], headers: [...req.headers] };
  const g = (x: unknown) => (typeof x === "object" && x !== null ? (x as Record<string, unknown>) : {});
  const generator = (x: unknown): Generator | undefined =>
    typeof g(x).type === "string" ? (g(x) as Generator) : undefined;
  const path = generator(generators.path);
  if (path) out.path = generateText(path, ctx) ?? req.path;
  for (const [name, raw] of Object.entries(g(generators.query))) {
    const gen = generator(raw);
    if (!gen) continue;
    if (out.query.some(([k]) => k === name))
      out.query = out.query.map(([k, v]) => [k, k === name ? (generateText(gen, ctx) ?? v) : v]);
    else {
      const v = generateText(gen, ctx);
      if (v !== undefined) out.query.push([name, v]);
    }
  }
  for (const [name, raw] of Object.entries(g(generators.header))) {
    const gen = generator(raw);
    if (!gen) continue;
    const same = (k: string) => k.toLowerCase() === name.toLowerCase();
    if (out.headers.some(([k]) => same(k)))
      out.headers = out.headers.map(([k, v]) => [k, same(k) ? (generateText(gen, ctx) ?? v) : v]);
    else {
      const v = generateText(gen, ctx);
      if (v !== undefined) out.headers.push([name, v]);
    }
  }
  if (out.body !== undefined && typeof out.body !== "string")
    out.body = generateBody(out.body, g(generators.body), ctx);
  return out;
}

function urlOf(base: string, req: PactRequest): string {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/$/, "");
  const path = req.path.startsWith("/") ? req.path : `/${req.path}`;
  // the pact's path is sent as the consumer wrote it; only characters a URL cannot hold are encoded
  u.pathname = prefix + encodeURI(decodeURI(path.replace(/%(?![0-9A-Fa-f]{2})/g, "%25")));
  const q = new URLSearchParams(req.query);
  u.search = req.query.length > 0 ? q.toString() : "";
  return u.toString();
}

function bodyOf(req: PactRequest): string | undefined {
  // pact-jvm records a request without a body as {"content": ""}: nothing to send.
  if (req.body === undefined || req.body === "") return undefined;
  if (typeof req.body === "string") return req.body;
  return JSON.stringify(req.body);
}

export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The body as text, or undefined when it is over `max` bytes (then it is not read further). */
async function readBody(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  max: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function replay(
  i: PactInteraction,
  o: VerifyOptions,
  values: Record<string, unknown>,
  matcher: Matcher,
) {
  const ctx: GeneratorContext = { random: Math.random, now: () => new Date(), stateValues: values };
  const req = applyRequestGenerators(i.request, i.requestGenerators, ctx);
  const url = urlOf(o.providerBaseUrl, req);
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) headers[k] = v;
  const body = bodyOf(req);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type"))
    headers["content-type"] = typeof req.body === "string" ? "text/plain" : "application/json";
  Object.assign(headers, o.headers ?? {});
  const timeout = o.timeoutMs ?? 30_000;
  const maxBody = o.maxBodyBytes ?? MAX_BODY_BYTES;
  // one deadline for the whole response: a provider that streams forever is cut off at --timeout
  const deadline = AbortSignal.timeout(timeout);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  let status: number;
  let resHeaders: Record<string, string | string[] | undefined>;
  let text: string | undefined;
  try {
    const res = await request(url, {
      method: req.method as "GET",
      headers,
      body: body ?? null,
      signal,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    status = res.statusCode;
    resHeaders = res.headers;
    const length = Number(res.headers["content-length"]);
    if (Number.isFinite(length) && length > maxBody) {
      res.body.destroy();
      text = undefined;
    } else text = await readBody(res.body, maxBody);
  } catch (err) {
    if (deadline.aborted && !o.signal?.aborted)
      throw new Error(
        `the provider did not send the whole response (headers and body) within ${timeout} ms (--timeout)`,
      );
    throw err;
  }
  if (text === undefined)
    return {
      url,
      method: req.method,
      mismatches: [
        {
          type: "body",
          path: "$",
          expected: `a body of at most ${maxBody} bytes`,
          actual: `over ${maxBody} bytes`,
          mismatch: `body over ${maxBody} bytes, not read further`,
        },
      ],
    };
  const actualHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(resHeaders))
    if (v !== undefined) actualHeaders[k] = Array.isArray(v) ? v.join(", ") : v;
  // ProviderState generators on the response: the expected value is the state's
  let expected = i.response;
  const gens = i.response.generators;
  const bodyGens = gens.body as Record<string, unknown> | undefined;
  if (bodyGens && expected.body.kind === "present" && typeof expected.body.value !== "string") {
    const stateOnly = Object.fromEntries(
      Object.entries(bodyGens).filter(([, g]) => (g as { type?: string }).type === "ProviderState"),
    );
    expected = {
      ...expected,
      body: { kind: "present", value: generateBody(expected.body.value, stateOnly, ctx) },
    };
  }
  // pact-jvm records e.g. a LOCATION header made from the state: "http://server/users/${userId}"
  const headerGens = Object.entries(gens.header ?? {}).filter(
    (e): e is [string, Generator] => (e[1] as { type?: unknown } | null)?.type === "ProviderState",
  );
  if (headerGens.length > 0)
    expected = {
      ...expected,
      headers: expected.headers.map(([k, v]) => {
        const g = headerGens.find(([name]) => name.toLowerCase() === k.toLowerCase())?.[1];
        return [k, g ? (generateText(g, ctx) ?? v) : v];
      }),
    };
  const mismatches = await matcher.match(expected, { status, headers: actualHeaders, body: text }, o.signal);
  return { url, method: req.method, mismatches };
}

/** Verifies every selected interaction against the provider, in order, each with its provider states. */
export async function verifyPacts(
  pacts: readonly LoadedPact[],
  o: VerifyOptions,
): Promise<InteractionResult[]> {
  const results: InteractionResult[] = [];
  const matcher = new Matcher();
  try {
    await verifyEach(pacts, o, matcher, results);
  } finally {
    await matcher.close();
  }
  return results;
}

async function verifyEach(
  pacts: readonly LoadedPact[],
  o: VerifyOptions,
  matcher: Matcher,
  results: InteractionResult[],
): Promise<void> {
  for (const { loaded, interaction: i } of selectInteractions(pacts, o)) {
    if (o.signal?.aborted) break;
    const started = performance.now();
    const base = {
      source: loaded.source,
      consumer: loaded.pact.consumer,
      provider: loaded.pact.provider,
      specification: loaded.pact.specification,
      description: i.description,
      states: i.states.map((s) => s.name),
      request: { method: i.request.method, url: urlOf(o.providerBaseUrl, i.request) },
    };
    let result: InteractionResult;
    if (i.message) {
      result = {
        ...base,
        status: "not-http",
        mismatches: [],
        error: `${/^[AEIOU]/i.test(i.message) ? "an" : "a"} ${i.message} interaction is not verified over HTTP: verify it with your message provider's own test (withstand verifies HTTP interactions)`,
        durationMs: 0,
      };
    } else {
      try {
        const values = await changeStates(o.states, i.states, "setup", o.signal);
        try {
          const r = await replay(i, o, values, matcher);
          const failed = r.mismatches.length > 0;
          result = {
            ...base,
            request: { method: r.method, url: r.url },
            status: failed ? (i.pending ? "pending" : "failed") : "verified",
            mismatches: r.mismatches,
            durationMs: performance.now() - started,
          };
        } finally {
          await changeStates(o.states, i.states, "teardown", o.signal);
        }
      } catch (err) {
        const e = err as Error & { code?: string };
        const why =
          err instanceof StateChangeError
            ? e.message
            : `request failed: ${e.code ? `${e.code} ` : ""}${e.message}`;
        result = {
          ...base,
          status: i.pending ? "pending" : "error",
          mismatches: [],
          error: why,
          durationMs: performance.now() - started,
        };
      }
    }
    results.push(result);
    o.onResult?.(result);
  }
}

/** 0 when every HTTP interaction was verified (pending ones never fail the build), 1 otherwise. */
export function verdictOf(results: readonly InteractionResult[]): {
  ok: boolean;
  verified: number;
  failed: number;
  pending: number;
  skipped: number;
} {
  const count = (s: InteractionStatus) => results.filter((r) => r.status === s).length;
  const failed = count("failed") + count("error");
  return {
    ok: failed === 0,
    verified: count("verified"),
    failed,
    pending: count("pending"),
    skipped: count("not-http"),
  };
}
