import { z } from "zod";
import {
  EXECUTORS,
  type Executor,
  type LoadPlan,
  parseRate,
  type RequestTemplate,
  type Stage,
  type ThresholdSpec,
} from "../core/load-plan.js";
import { parseMetricKey } from "../core/tags.js";
import { METRICS, parseThreshold } from "../core/threshold.js";
import { isLoopbackHost } from "../safety/policy.js";
import { durationField, durationMs } from "./duration-field.js";
import { body, count, countIn, positive, rate, scalar, text, typed } from "./fields.js";
import { check, checkKeys, hasVar, isRecord, type Reporter, scoped } from "./reporter.js";
import type { Path } from "./source.js";
import { readBool, readDuration, readString } from "./values.js";

export const BODY_KEYS = [
  "executor",
  "rate",
  "startRate",
  "duration",
  "stages",
  "vus",
  "startVUs",
  "connections",
  "timeout",
  "maxRequests",
  "workers",
  "url",
  "method",
  "headers",
  "body",
  "requests",
  "thresholds",
];
export const REQUEST_KEYS = ["url", "method", "headers", "body", "weight", "tags"];
export const DEFAULT_MAX_REQUESTS = 10_000_000;

/** Where a threshold expression sits, so a malformed one is reported at its file:line:col. */
export type LocOf = (path: Path) => string;

// A k6 metric, or a sub-metric with a tag filter: http_req_duration{type:API}.
const metricKey = z.string().regex(new RegExp(`^(${METRICS.join("|")})(\\{.*\\})?$`));
const thresholds = z.record(
  metricKey,
  z.union([
    text,
    z.array(
      z.union([
        text,
        z.strictObject({
          threshold: text,
          abortOnFail: z.union([z.boolean(), z.string()]).optional(),
          delayAbortEval: durationField.optional(),
        }),
      ]),
    ),
  ]),
);

const url = z.string().regex(/^https?:\/\/|\$\{/, "expected an http:// or https:// URL");
const request = typed(REQUEST_KEYS, {
  url,
  method: z.string().regex(/^[A-Za-z]+$|\$\{/, "expected an HTTP method"),
  headers: z.record(z.string(), scalar),
  body,
  weight: positive,
  tags: z.record(z.string(), scalar),
});

/**
 * The body of a LoadTest spec (and of a `load:` activity): one schema for `validate`, the run and
 * `withstand schema`. Its thresholds are read with k6's own messages (sub-metric tags, expressions).
 */
export const LOAD_BODY = typed(BODY_KEYS, {
  executor: z.enum(EXECUTORS as unknown as [string, ...string[]]),
  rate,
  startRate: rate,
  duration: durationField,
  stages: z.array(z.strictObject({ target: rate, duration: durationField })).min(1),
  vus: count,
  startVUs: count,
  connections: countIn(1, 100_000),
  timeout: durationField,
  maxRequests: count,
  workers: countIn(1, 64),
  url,
  method: request.shape.method,
  headers: z.record(z.string(), scalar),
  body,
  requests: z.array(request).min(1),
  thresholds,
});
type Body = z.infer<typeof LOAD_BODY>;
type Request = z.infer<typeof request>;

/** A number the schema let through: a number, digits, or a `${var}` deferred to run time. */
const num = (v: string | number | undefined): number | undefined =>
  v === undefined || hasVar(v) ? undefined : Number(v);
const rateOf = (v: string | number | undefined): number | undefined =>
  v === undefined || hasVar(v) ? undefined : parseRate(v);

/** A request template from a request the schema accepted (its url is http(s) or a `${var}`). */
function template(q: Request): RequestTemplate {
  const url = q.url as string;
  const headers = Object.fromEntries(Object.entries(q.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const payload =
    q.body === undefined ? undefined : typeof q.body === "string" ? q.body : JSON.stringify(q.body);
  const tags = q.tags && Object.fromEntries(Object.entries(q.tags).map(([k, v]) => [k, String(v)]));
  return {
    url,
    method: (q.method ?? "GET").toUpperCase(),
    headers,
    body: payload,
    weight: num(q.weight) ?? 1,
    ...(tags ? { tags } : {}),
  };
}

function requestsOf(b: Body, r: Reporter): RequestTemplate[] {
  if (b.requests !== undefined) {
    if (b.url !== undefined)
      r.error(["url"], "cannot be combined with requests (expected one of url, requests)");
    return b.requests.map((q) => template(q));
  }
  if (b.url !== undefined) {
    return [template({ url: b.url, method: b.method, headers: b.headers, body: b.body })];
  }
  r.error(["requests"], "is required (expected url: URL, or requests: [{url, method, weight}, ...])");
  return [];
}

const stagesOf = (b: Body): Stage[] =>
  (b.stages ?? []).flatMap((s) => {
    const target = typeof s.target === "number" ? s.target : (rateOf(s.target) ?? num(s.target));
    return target === undefined ? [] : [{ target, durationMs: durationMs(s.duration) }];
  });

/** The executor the body names, or the one its keys imply (k6's defaults). */
function executorOf(b: Body, r: Reporter): Executor | undefined {
  const type =
    b.executor ??
    (b.stages !== undefined
      ? b.startVUs !== undefined
        ? "ramping-vus"
        : "ramping-arrival-rate"
      : b.vus !== undefined && b.rate === undefined
        ? "constant-vus"
        : "constant-arrival-rate");
  const duration = (): number | undefined => {
    if (b.duration === undefined) {
      r.error(["duration"], 'is required (expected a duration such as "30s")');
      return undefined;
    }
    return hasVar(b.duration) ? undefined : durationMs(b.duration);
  };
  const needStages = () => {
    if (b.stages === undefined)
      r.error(["stages"], "is required (expected a non-empty list of {target, duration})");
    return stagesOf(b);
  };
  switch (type) {
    case "constant-arrival-rate": {
      if (b.rate === undefined)
        r.error(["rate"], "is required for constant-arrival-rate (expected e.g. 1000/s)");
      const d = duration();
      const perSecond = rateOf(b.rate);
      return perSecond !== undefined && d !== undefined
        ? { type, rate: perSecond, durationMs: d }
        : undefined;
    }
    case "ramping-arrival-rate": {
      const stages = needStages();
      const startRate = b.startRate === undefined ? 0 : rateOf(b.startRate);
      return stages.length > 0 && startRate !== undefined ? { type, startRate, stages } : undefined;
    }
    case "constant-vus": {
      const d = duration();
      const vus = num(b.vus);
      if (b.vus === undefined)
        r.error(["vus"], "is required for constant-vus (expected a number of virtual users)");
      return vus !== undefined && d !== undefined
        ? { type, vus: Math.max(1, Math.round(vus)), durationMs: d }
        : undefined;
    }
    case "ramping-vus": {
      const stages = needStages();
      const startVUs = b.startVUs === undefined ? 0 : num(b.startVUs);
      return stages.length > 0 && startVUs !== undefined ? { type, startVUs, stages } : undefined;
    }
  }
  return undefined;
}

function readThresholds(
  raw: unknown,
  r: Reporter,
  locOf: LocOf,
  base: Path,
  requests: readonly RequestTemplate[],
): ThresholdSpec[] {
  const declared = new Set(requests.flatMap((q) => Object.keys(q.tags ?? {})));
  if (raw === undefined) return [];
  if (!isRecord(raw)) {
    r.error([], 'expected a mapping of metric to expressions, e.g. {http_req_duration: ["p(99)<300"]}');
    return [];
  }
  const out: ThresholdSpec[] = [];
  for (const [metric, list] of Object.entries(raw)) {
    const key = parseMetricKey(metric, declared);
    if (!key.ok) {
      r.error([metric], key.error, true);
      continue;
    }
    const items = Array.isArray(list) ? list : [list];
    items.forEach((item, i) => {
      const path: Path = Array.isArray(list) ? [metric, i] : [metric];
      let expression: string | undefined;
      let abortOnFail = false;
      let delayAbortEvalMs = 0;
      if (typeof item === "string") expression = item;
      else if (isRecord(item)) {
        checkKeys(item, ["threshold", "abortOnFail", "delayAbortEval"], path, r);
        expression = readString(
          item.threshold,
          [...path, "threshold"],
          r,
          'a threshold expression such as "p(99)<300"',
        );
        if (item.abortOnFail !== undefined)
          abortOnFail = readBool(item.abortOnFail, [...path, "abortOnFail"], r) ?? false;
        if (item.delayAbortEval !== undefined)
          delayAbortEvalMs = readDuration(item.delayAbortEval, [...path, "delayAbortEval"], r) ?? 0;
      } else {
        r.error(
          path,
          `got ${JSON.stringify(item)} (expected "p(99)<300" or {threshold, abortOnFail, delayAbortEval})`,
        );
        return;
      }
      if (expression === undefined) return;
      const exprPath = typeof item === "string" ? path : [...path, "threshold"];
      const parsed = parseThreshold(expression, key.metric);
      if (!parsed.ok) {
        r.error(exprPath, parsed.error);
        return;
      }
      out.push({
        metric: key.metric,
        ...(key.sub ? { tags: key.sub.tags, submetric: metric } : {}),
        expression,
        abortOnFail,
        delayAbortEvalMs,
        loc: locOf([...base, ...exprPath]),
      });
    });
  }
  return out;
}

/** Reads the body of a LoadTest spec (or of a `load:` activity) into a plan; collects every problem. */
export function readLoadBody(
  raw: unknown,
  r: Reporter,
  name: string,
  locOf: LocOf = () => "",
  base: Path = [],
): LoadPlan | undefined {
  if (!isRecord(raw)) {
    r.error([], "expected a mapping with requests (or url), an executor and its rate or VUs");
    return undefined;
  }
  // Keys, types and durations from the schema; thresholds below, with k6's own messages.
  const { thresholds: rawThresholds, ...rest } = raw;
  const b = check(LOAD_BODY, rest, [], r) as Body | undefined;
  const requests = b ? requestsOf(b, r) : [];
  const thresholds = readThresholds(
    rawThresholds,
    scoped(r, ["thresholds"]),
    locOf,
    [...base, "thresholds"],
    requests,
  );
  if (!b) return undefined;
  const executor = executorOf(b, r);
  const closed = executor?.type === "constant-vus" || executor?.type === "ramping-vus";
  const maxVus =
    executor?.type === "constant-vus"
      ? executor.vus
      : executor?.type === "ramping-vus"
        ? Math.max(executor.startVUs, ...executor.stages.map((s) => s.target))
        : 0;
  let connections = b.connections === undefined ? (closed ? maxVus : 64) : num(b.connections);
  if (connections !== undefined && (connections < 1 || connections > 100_000))
    r.error(["connections"], `got ${connections} (expected 1-100000)`);
  if (closed) connections = Math.max(connections ?? 1, maxVus);
  const workers = b.workers === undefined ? 1 : num(b.workers);
  if (workers !== undefined && (workers < 1 || workers > 64))
    r.error(["workers"], `got ${workers} (expected 1-64)`);
  const timeoutMs = b.timeout === undefined ? 10_000 : hasVar(b.timeout) ? undefined : durationMs(b.timeout);
  const maxRequests = b.maxRequests === undefined ? DEFAULT_MAX_REQUESTS : num(b.maxRequests);
  if (
    !executor ||
    requests.length === 0 ||
    connections === undefined ||
    timeoutMs === undefined ||
    maxRequests === undefined ||
    workers === undefined
  )
    return undefined;
  return {
    name,
    executor,
    requests,
    connections: Math.round(connections),
    timeoutMs,
    maxRequests,
    thresholds,
    workers,
  };
}

/** localhost, 127.0.0.0/8 or ::1 (bracketed or not). */
export const isLoopback = isLoopbackHost;

/** Targets other than loopback need an explicit --allow-remote. */
export function remoteTargets(plan: LoadPlan): string[] {
  return plan.requests.filter((q) => !isLoopback(new URL(q.url).hostname)).map((q) => q.url);
}
