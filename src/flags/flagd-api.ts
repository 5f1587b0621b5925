import type { IncomingMessage, ServerResponse } from "node:http";
import type { EvaluationContext, JsonValue } from "@openfeature/core";
import type { FlagSet, Resolution } from "./flagset.js";
import { readBody, send } from "./ofrep.js";

/**
 * flagd's own evaluation API, `flagd.evaluation.v1.Service`, as flagd serves it over the Connect
 * protocol with JSON on HTTP/1.1 (what flagd's docs `curl`): `POST /flagd.evaluation.v1.Service/ResolveBoolean`
 * (String, Int, Float, Object, All) with `{"flagKey": ..., "context": {...}}`. Answers are protobuf JSON
 * as flagd's: a field at its zero value is left out (a `false` value, an empty variant), an int64 is a
 * string, and an error is Connect's `{"code", "message"}` with its HTTP status. As in flagd's v1
 * service, a flag without a value to give (no default variant, targeting gives nothing) is not_found.
 */

export const FLAGD_PREFIX = "/flagd.evaluation.v1.Service/";

type Kind = "boolean" | "string" | "int" | "float" | "object";

const METHODS: Record<string, Kind | "all"> = {
  ResolveBoolean: "boolean",
  ResolveString: "string",
  ResolveInt: "int",
  ResolveFloat: "float",
  ResolveObject: "object",
  ResolveAll: "all",
};

/** Connect's error codes flagd answers with, and their HTTP statuses (connectrpc.com/docs/protocol). */
const STATUS = {
  invalid_argument: 400,
  not_found: 404,
  data_loss: 500,
  unknown: 500,
  unimplemented: 404,
} as const;
type Code = keyof typeof STATUS;

/** flagd's error codes as Connect errors, with flagd's readable messages (core/pkg/model/error.go). */
const ERRORS: Record<string, [Code, string]> = {
  FLAG_NOT_FOUND: ["not_found", "Flag not found"],
  TYPE_MISMATCH: ["invalid_argument", "Type mismatch error"],
  PARSE_ERROR: ["data_loss", "Error parsing input or configuration"],
  GENERAL: ["unknown", "General error"],
};

class ConnectError {
  constructor(
    readonly code: Code,
    readonly message: string,
  ) {}
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function errorOf(flagdCode: string | undefined): ConnectError {
  const [code, message] = ERRORS[flagdCode ?? ""] ?? ["unknown", `Unknown error code: ${flagdCode}`];
  return new ConnectError(code, message);
}

function typeMatches(kind: Kind, v: unknown): boolean {
  if (kind === "boolean") return typeof v === "boolean";
  if (kind === "string") return typeof v === "string";
  if (kind === "int" || kind === "float") return typeof v === "number";
  return isObject(v);
}

/** A value as protobuf JSON writes the response's `value` field; undefined when it is left out. */
function encode(kind: Kind, v: unknown): JsonValue | undefined {
  if (kind === "object") return (v ?? {}) as JsonValue;
  if (kind === "int") {
    // flagd resolves an int as a float and truncates it; int64 is a string in protobuf JSON.
    const n = Math.trunc(Number(v ?? 0));
    return n === 0 || !Number.isFinite(n) ? undefined : BigInt(n).toString();
  }
  if (v === false || v === "" || v === 0 || v === undefined) return undefined;
  return v as JsonValue;
}

/** One flag resolved as a typed method does; throws ConnectError for flagd's error results. */
function typed(kind: Kind, r: Resolution | undefined): Record<string, unknown> {
  if (!r) throw errorOf("FLAG_NOT_FOUND");
  const out: Record<string, unknown> = {};
  const set = (value: unknown, reason: string, variant?: string) => {
    const v = encode(kind, value);
    if (v !== undefined) out.value = v;
    out.reason = reason;
    if (variant) out.variant = variant;
    out.metadata = r.metadata;
    return out;
  };
  if (!r.result) return set(undefined, "DISABLED");
  const { value, variant, reason, errorCode } = r.result;
  if (errorCode !== undefined) throw errorOf(errorCode);
  // flagd's v1 service answers a flag that has nothing to give as not found.
  if (value === undefined || variant === undefined) throw errorOf("FLAG_NOT_FOUND");
  if (!typeMatches(kind, value)) throw errorOf("TYPE_MISMATCH");
  return set(value, reason, variant);
}

const ANY_FIELD: Record<Exclude<Kind, "int">, string> = {
  boolean: "boolValue",
  string: "stringValue",
  float: "doubleValue",
  object: "objectValue",
};

const ZERO: Record<Exclude<Kind, "int">, unknown> = { boolean: false, string: "", float: 0, object: {} };

/** ResolveAll, as flagd's v1 service: typed by each flag's default variant (flags without one are left out). */
function all(flags: FlagSet, context: EvaluationContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of flags.keys()) {
    const r = flags.resolve(key, context);
    if (!r) continue;
    const d = r.defaultValue;
    const kind: Exclude<Kind, "int"> | undefined =
      typeof d === "boolean"
        ? "boolean"
        : typeof d === "string"
          ? "string"
          : typeof d === "number"
            ? "float"
            : isObject(d)
              ? "object"
              : undefined;
    if (!kind) continue;
    const res = r.result;
    const ok =
      res !== undefined &&
      res.errorCode === undefined &&
      res.variant !== undefined &&
      typeMatches(kind, res.value);
    const entry: Record<string, unknown> = {
      reason: !res ? "DISABLED" : ok ? res.reason : "ERROR",
    };
    if (ok && res.variant) entry.variant = res.variant;
    // A oneof member is written even at its zero value.
    entry[ANY_FIELD[kind]] = ok ? res.value : ZERO[kind];
    entry.metadata = r.metadata;
    out[key] = entry;
  }
  return { flags: out, metadata: flags.flagSetMetadata() };
}

/** The request's flagKey and context, or the Connect error a malformed request gets. */
function parseRequest(text: string | undefined): { flagKey: string; context: EvaluationContext } {
  if (text === undefined) throw new ConnectError("invalid_argument", "request body larger than 1 MiB");
  let body: unknown = {};
  if (text.trim() !== "")
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ConnectError("invalid_argument", `unmarshal request: ${(err as Error).message}`);
    }
  if (!isObject(body))
    throw new ConnectError("invalid_argument", 'expected a JSON object {"flagKey", "context"}');
  const { flagKey = "", context = {} } = body;
  if (typeof flagKey !== "string")
    throw new ConnectError("invalid_argument", `flagKey: got ${typeof flagKey} (expected a string)`);
  if (!isObject(context))
    throw new ConnectError("invalid_argument", "context: expected an object (google.protobuf.Struct)");
  return { flagKey, context: context as EvaluationContext };
}

/** Handles a request under FLAGD_PREFIX. */
export async function handleFlagdApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  flags: FlagSet,
  headers: Record<string, string>,
): Promise<void> {
  const method = METHODS[path.slice(FLAGD_PREFIX.length)];
  if (!method) {
    send(
      res,
      404,
      {
        code: "unimplemented",
        message: `${path.slice(1)} is not a procedure of flagd.evaluation.v1.Service (expected one of ${Object.keys(METHODS).join(", ")})`,
      },
      headers,
    );
    return;
  }
  if (req.method !== "POST") {
    send(res, 405, undefined, { ...headers, allow: "POST" });
    return;
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    req.resume();
    send(res, 415, undefined, { ...headers, "accept-post": "application/json" });
    return;
  }
  try {
    const { flagKey, context } = parseRequest(await readBody(req));
    const body = method === "all" ? all(flags, context) : typed(method, flags.resolve(flagKey, context));
    send(res, 200, body, headers);
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    send(res, STATUS[err.code], { code: err.code, message: err.message }, headers);
  }
}
