import type { IncomingMessage, ServerResponse } from "node:http";
import type { EvaluationContext } from "@openfeature/core";
import { etagOf, type FlagSet } from "./flagset.js";

/**
 * OFREP, the OpenFeature Remote Evaluation Protocol (open-feature/protocol service/openapi.yaml):
 * POST /ofrep/v1/evaluate/flags/{key}, the bulk POST /ofrep/v1/evaluate/flags with ETag and
 * If-None-Match, and GET /ofrep/v1/configuration. Results are flagd's: a disabled flag, or one whose
 * targeting and default variant give nothing, is a success without a value (the code default).
 */

export interface OfrepOptions {
  /** The smallest polling interval clients may use (configuration's minPollingIntervalMs). */
  minPollingIntervalMs: number;
  /** Refuse an evaluation whose context has no targetingKey (flagd does not; off by default). */
  requireTargetingKey: boolean;
}

const MAX_BODY = 1 << 20;

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** The request body as text; undefined when it is larger than 1 MiB. */
export function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Too large: undefined, and the rest is discarded (not a dropped connection), so the caller can answer 413.
    const tooLarge = () => {
      req.removeAllListeners("data");
      req.resume();
      resolve(undefined);
    };
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) return tooLarge();
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) return tooLarge();
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

type Parsed = { context: EvaluationContext } | { errorCode: string; errorDetails: string };

/** The evaluation context of a request body, or the OFREP error it deserves. */
export function contextOf(text: string | undefined, opts: OfrepOptions): Parsed {
  if (text === undefined)
    return { errorCode: "INVALID_CONTEXT", errorDetails: "request body larger than 1 MiB" };
  let body: unknown = {};
  if (text.trim() !== "")
    try {
      body = JSON.parse(text);
    } catch (err) {
      return {
        errorCode: "PARSE_ERROR",
        errorDetails: `request body is not JSON: ${(err as Error).message}`,
      };
    }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { errorCode: "INVALID_CONTEXT", errorDetails: 'expected a JSON object {"context": {...}}' };
  const context = (body as { context?: unknown }).context ?? {};
  if (typeof context !== "object" || context === null || Array.isArray(context))
    return { errorCode: "INVALID_CONTEXT", errorDetails: "context: expected an object" };
  const key = (context as { targetingKey?: unknown }).targetingKey;
  if (key !== undefined && typeof key !== "string")
    return {
      errorCode: "INVALID_CONTEXT",
      errorDetails: `context.targetingKey: got ${typeof key} (expected a string)`,
    };
  if (key === undefined && opts.requireTargetingKey)
    return {
      errorCode: "TARGETING_KEY_MISSING",
      errorDetails: "context.targetingKey is required by this server",
    };
  return { context: context as EvaluationContext };
}

/** Whether an If-None-Match header matches the current ETag (a list, weak tags or *). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}

/** Handles an OFREP request; false when the path is not OFREP's. */
export async function handleOfrep(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  flags: FlagSet,
  opts: OfrepOptions,
  headers: Record<string, string>,
): Promise<boolean> {
  if (path === "/ofrep/v1/configuration") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, { errorDetails: "use GET" }, { ...headers, allow: "GET" });
      return true;
    }
    const body = {
      name: "withstand",
      capabilities: {
        cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: opts.minPollingIntervalMs } },
        flagEvaluation: { supportedTypes: ["boolean", "string", "int", "float", "object"] },
        caching: { enabled: false },
      },
    };
    const etag = etagOf(JSON.stringify(body));
    if (matches(req.headers["if-none-match"], etag)) send(res, 304, undefined, { ...headers, etag });
    else send(res, 200, body, { ...headers, etag });
    return true;
  }
  const single = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/.exec(path);
  const bulk = path === "/ofrep/v1/evaluate/flags";
  if (!single && !bulk) return false;
  if (req.method !== "POST") {
    send(res, 405, { errorDetails: "use POST" }, { ...headers, allow: "POST" });
    return true;
  }
  const parsed = contextOf(await readBody(req), opts);
  if (single) {
    let key: string;
    try {
      key = decodeURIComponent(single[1] ?? "");
    } catch {
      key = single[1] ?? "";
    }
    if (!("context" in parsed)) {
      send(res, 400, { key, ...parsed }, headers);
      return true;
    }
    const r = flags.evaluate(key, parsed.context);
    send(res, r.status, r.body, headers);
    return true;
  }
  if (!("context" in parsed)) {
    send(res, 400, parsed, headers);
    return true;
  }
  const text = JSON.stringify({
    flags: flags.evaluateAll(parsed.context),
    metadata: flags.flagSetMetadata(),
  });
  const etag = etagOf(text);
  if (matches(req.headers["if-none-match"], etag)) {
    send(res, 304, undefined, { ...headers, etag });
    return true;
  }
  res.writeHead(200, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    etag,
    ...headers,
  });
  res.end(text);
  return true;
}
