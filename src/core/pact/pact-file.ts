import { WithstandError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { type MatchingRules, noRules, RuleError, readMatchingRules } from "./rules.js";

/** What a consumer sends, as the pact records it (any specification version, normalised). */
export interface PactRequest {
  method: string;
  path: string;
  /** Query parameters, each with its values in order. */
  query: [string, string][];
  headers: [string, string][];
  /** undefined: no body; a string: text or XML; other JSON: a JSON body. */
  body: unknown;
  contentType: string | undefined;
}

export interface PactResponse {
  status: number | undefined;
  headers: [string, string][];
  /** `absent`: the consumer said nothing of the body; otherwise the expected body. */
  body: { kind: "absent" } | { kind: "present"; value: unknown };
  contentType: string | undefined;
  rules: MatchingRules;
  generators: Record<string, unknown>;
}

export interface ProviderState {
  name: string;
  params: Record<string, unknown>;
}

export interface PactInteraction {
  description: string;
  states: ProviderState[];
  /** A v3/v4 message interaction: not verifiable over HTTP. */
  message?: string;
  pending: boolean;
  request: PactRequest;
  response: PactResponse;
  requestGenerators: Record<string, unknown>;
}

export interface Pact {
  consumer: string;
  provider: string;
  /** "1.0.0", "1.1.0", "2.0.0", "3.0.0", "4.0" as the file says (or "1.0.0" when it says nothing). */
  specification: string;
  interactions: PactInteraction[];
}

/** A pact file that cannot be read: the message, and the path of the value at fault. */
export class PactFileError extends WithstandError {
  constructor(
    message: string,
    readonly path: readonly (string | number)[] = [],
    options?: { cause?: unknown },
  ) {
    super("WS_PACT_FILE", message, EXIT.invalid, options);
    this.name = "PactFileError";
  }
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function specVersion(meta: Record<string, unknown>): string {
  const spec = rec(meta.pactSpecification ?? meta["pact-specification"] ?? meta.pactSpecificationVersion);
  const v = spec.version ?? meta.pactSpecificationVersion;
  return typeof v === "string" ? v : "1.0.0";
}

type Where = readonly (string | number)[];

function headerPairs(raw: unknown, where: Where): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(rec(raw))) {
    if (Array.isArray(v)) out.push([k, v.map(String).join(", ")]);
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      out.push([k, String(v)]);
    else throw new PactFileError(`expected a string or a list of strings`, [...where, k]);
  }
  return out;
}

function queryPairs(raw: unknown, where: Where): [string, string][] {
  if (raw === undefined || raw === null || raw === "") return [];
  if (typeof raw === "string") {
    return [...new URLSearchParams(raw)].map(([k, v]) => [k, v]);
  }
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(rec(raw))) {
    if (Array.isArray(v)) for (const x of v) out.push([k, x === null ? "" : String(x)]);
    else if (v !== undefined) out.push([k, String(v)]);
  }
  if (typeof raw !== "object") throw new PactFileError("expected a query string or a mapping", where);
  return out;
}

function header(pairs: [string, string][], name: string): string | undefined {
  return pairs.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** v4 bodies are `{content, contentType, encoded}`; earlier versions hold the body itself. */
function readBody(
  holder: Record<string, unknown>,
  v4: boolean,
  where: Where,
): { present: boolean; value: unknown; contentType: string | undefined } {
  if (!("body" in holder) || holder.body === undefined)
    return { present: false, value: undefined, contentType: undefined };
  const raw = holder.body;
  if (!v4) return { present: true, value: raw, contentType: undefined };
  if (raw === null) return { present: false, value: undefined, contentType: undefined };
  const b = rec(raw);
  const contentType = typeof b.contentType === "string" ? b.contentType : undefined;
  if (!("content" in b)) return { present: false, value: undefined, contentType };
  let value = b.content;
  if (b.encoded !== undefined && b.encoded !== false && typeof value === "string") {
    const enc = String(b.encoded).toLowerCase();
    if (enc === "base64" || b.encoded === true) value = Buffer.from(value, "base64").toString("utf8");
    else if (enc === "json") {
      try {
        value = JSON.parse(value);
      } catch (err) {
        throw new PactFileError(`encoded as JSON but does not parse (${(err as Error).message})`, [
          ...where,
          "body",
        ]);
      }
    }
  }
  return { present: true, value, contentType };
}

function states(i: Record<string, unknown>): ProviderState[] {
  if (Array.isArray(i.providerStates))
    return i.providerStates.map((s) => ({ name: String(rec(s).name ?? ""), params: rec(rec(s).params) }));
  const single = i.providerState ?? i.provider_state;
  return typeof single === "string" && single !== "" ? [{ name: single, params: {} }] : [];
}

function interaction(raw: unknown, index: number, v4: boolean): PactInteraction {
  const i = rec(raw);
  const where: Where = ["interactions", index];
  const description = typeof i.description === "string" ? i.description : `interaction ${index + 1}`;
  const type = typeof i.type === "string" ? i.type : "Synchronous/HTTP";
  const base = { description, states: states(i), pending: i.pending === true };
  const emptyRequest: PactRequest = {
    method: "GET",
    path: "/",
    query: [],
    headers: [],
    body: undefined,
    contentType: undefined,
  };
  const emptyResponse: PactResponse = {
    status: undefined,
    headers: [],
    body: { kind: "absent" },
    contentType: undefined,
    rules: noRules(),
    generators: {},
  };
  if (
    type !== "Synchronous/HTTP" ||
    (!("request" in i) && ("contents" in i || "metaData" in i || "metadata" in i))
  ) {
    return {
      ...base,
      message: type === "Synchronous/HTTP" ? "Asynchronous/Messages" : type,
      request: emptyRequest,
      response: emptyResponse,
      requestGenerators: {},
    };
  }
  const req = rec(i.request);
  const res = rec(i.response);
  if (typeof req.method !== "string" || typeof req.path !== "string")
    throw new PactFileError('expected "method" and "path" strings', [...where, "request"]);
  const reqHeaders = headerPairs(req.headers, [...where, "request", "headers"]);
  const reqBody = readBody(req, v4, [...where, "request"]);
  const resHeaders = headerPairs(res.headers, [...where, "response", "headers"]);
  const resBody = readBody(res, v4, [...where, "response"]);
  let rules: MatchingRules;
  try {
    rules = readMatchingRules(res.matchingRules, "matchingRules");
  } catch (err) {
    if (err instanceof RuleError)
      throw new PactFileError(err.message, [...where, "response", "matchingRules", ...err.path], {
        cause: err,
      });
    throw err;
  }
  const status = res.status === undefined ? undefined : Number(res.status);
  if (status !== undefined && !Number.isInteger(status))
    throw new PactFileError(`expected an HTTP status code, got ${JSON.stringify(res.status)}`, [
      ...where,
      "response",
      "status",
    ]);
  return {
    ...base,
    request: {
      method: req.method.toUpperCase(),
      path: req.path,
      query: queryPairs(req.query, [...where, "request", "query"]),
      headers: reqHeaders,
      body: reqBody.present ? reqBody.value : undefined,
      contentType: header(reqHeaders, "content-type") ?? reqBody.contentType,
    },
    requestGenerators: rec(req.generators),
    response: {
      status,
      headers: resHeaders,
      body: resBody.present ? { kind: "present", value: resBody.value } : { kind: "absent" },
      contentType: header(resHeaders, "content-type") ?? resBody.contentType,
      rules,
      generators: rec(res.generators),
    },
  };
}

/** Reads a parsed pact file of any specification version (v1, v1.1, v2, v3, v4). */
export function readPact(doc: unknown): Pact {
  const d = rec(doc);
  if (!Array.isArray(d.interactions) && !Array.isArray(d.messages))
    throw new PactFileError(
      `expected a pact file with "interactions" (a list), got keys: ${Object.keys(d).join(", ") || "none"}`,
    );
  const specification = specVersion(rec(d.metadata));
  const v4 = specification.startsWith("4");
  const interactions = (Array.isArray(d.interactions) ? d.interactions : []).map((x, n) =>
    interaction(x, n, v4),
  );
  const messages = (Array.isArray(d.messages) ? d.messages : []).map((m, n) => ({
    description: String(rec(m).description ?? `message ${n + 1}`),
    states: states(rec(m)),
    message: "Asynchronous/Messages",
    pending: false,
    request: { method: "GET", path: "/", query: [], headers: [], body: undefined, contentType: undefined },
    response: {
      status: undefined,
      headers: [],
      body: { kind: "absent" as const },
      contentType: undefined,
      rules: noRules(),
      generators: {},
    },
    requestGenerators: {},
  }));
  return {
    consumer: String(rec(d.consumer).name ?? "consumer"),
    provider: String(rec(d.provider).name ?? "provider"),
    specification,
    interactions: [...interactions, ...messages],
  };
}
