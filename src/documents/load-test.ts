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
import { parseThreshold } from "../core/threshold.js";
import { isLoopbackHost } from "../safety/policy.js";
import { checkKeys, isRecord, type Reporter, scoped } from "./reporter.js";
import type { Path } from "./source.js";
import { readBool, readDuration, readNumber, readString } from "./values.js";

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

function readRequest(raw: unknown, r: Reporter): RequestTemplate | undefined {
  if (!isRecord(raw)) {
    r.error([], "expected a request {url, method, headers, body, weight}");
    return undefined;
  }
  checkKeys(raw, REQUEST_KEYS, [], r);
  const url = readString(raw.url, ["url"], r, "an http:// or https:// URL");
  if (url !== undefined && !/^https?:\/\//.test(url) && !/\$\{/.test(url))
    r.error(["url"], `got ${JSON.stringify(url)} (expected an http:// or https:// URL)`);
  const method =
    raw.method === undefined
      ? "GET"
      : (readString(raw.method, ["method"], r, "an HTTP method") ?? "GET").toUpperCase();
  let headers: Record<string, string> = {};
  if (raw.headers !== undefined) {
    if (!isRecord(raw.headers)) r.error(["headers"], "expected a mapping of header names to values");
    else headers = Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, String(v)]));
  }
  const body =
    raw.body === undefined ? undefined : typeof raw.body === "string" ? raw.body : JSON.stringify(raw.body);
  const weight =
    raw.weight === undefined ? 1 : (readNumber(raw.weight, ["weight"], r, "a positive weight") ?? 1);
  if (weight <= 0) r.error(["weight"], `got ${weight} (expected a positive weight)`);
  let tags: Record<string, string> | undefined;
  if (raw.tags !== undefined) {
    if (!isRecord(raw.tags)) r.error(["tags"], "expected a mapping of tag names to values, e.g. {type: API}");
    else tags = Object.fromEntries(Object.entries(raw.tags).map(([k, v]) => [k, String(v)]));
  }
  return url === undefined ? undefined : { url, method, headers, body, weight, ...(tags ? { tags } : {}) };
}

function readStages(raw: unknown, r: Reporter): Stage[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    r.error([], "expected a non-empty list of {target, duration}");
    return [];
  }
  return raw.flatMap((s, i) => {
    if (!isRecord(s)) {
      r.error([i], "expected {target, duration}");
      return [];
    }
    checkKeys(s, ["target", "duration"], [i], r);
    const target =
      typeof s.target === "string"
        ? (parseRate(s.target) ?? readNumber(s.target, [i, "target"], r))
        : readNumber(s.target, [i, "target"], r, "a target rate or VU count");
    const durationMs = readDuration(s.duration, [i, "duration"], r);
    return target === undefined || durationMs === undefined ? [] : [{ target, durationMs }];
  });
}

function readRate(raw: unknown, path: Path, r: Reporter): number | undefined {
  if (raw === undefined) return undefined;
  const rate = typeof raw === "string" || typeof raw === "number" ? parseRate(raw) : undefined;
  if (rate === undefined)
    r.error(path, `got ${JSON.stringify(raw)} (expected a rate such as 1000/s, 60/m or 50)`);
  return rate;
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
      const parsed = parseThreshold(expression);
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
  checkKeys(raw, BODY_KEYS, [], r);
  const requests: RequestTemplate[] = [];
  if (raw.requests !== undefined) {
    if (!Array.isArray(raw.requests) || raw.requests.length === 0)
      r.error(["requests"], "expected a non-empty list of requests");
    else
      raw.requests.forEach((q, i) => {
        const t = readRequest(q, scoped(r, ["requests", i]));
        if (t) requests.push(t);
      });
    if (raw.url !== undefined)
      r.error(["url"], "cannot be combined with requests (expected one of url, requests)");
  } else if (raw.url !== undefined) {
    const t = readRequest({ url: raw.url, method: raw.method, headers: raw.headers, body: raw.body }, r);
    if (t) requests.push(t);
  } else r.error(["requests"], "is required (expected url: URL, or requests: [{url, method, weight}, ...])");

  const rate = readRate(raw.rate, ["rate"], r);
  const vus =
    raw.vus === undefined ? undefined : readNumber(raw.vus, ["vus"], r, "a number of virtual users");
  let type = raw.executor as string | undefined;
  if (type === undefined)
    type =
      raw.stages !== undefined
        ? raw.startVUs !== undefined
          ? "ramping-vus"
          : "ramping-arrival-rate"
        : vus !== undefined && rate === undefined
          ? "constant-vus"
          : "constant-arrival-rate";
  if (!EXECUTORS.includes(type as never)) {
    r.error(["executor"], `got ${JSON.stringify(type)} (expected one of ${EXECUTORS.join(", ")})`);
    return undefined;
  }
  const duration = (): number | undefined => {
    if (raw.duration !== undefined) return readDuration(raw.duration, ["duration"], r);
    r.error(["duration"], 'is required (expected a duration such as "30s")');
    return undefined;
  };
  let executor: Executor | undefined;
  switch (type) {
    case "constant-arrival-rate": {
      if (rate === undefined && raw.rate === undefined)
        r.error(["rate"], "is required for constant-arrival-rate (expected e.g. 1000/s)");
      const d = duration();
      if (rate !== undefined && d !== undefined) executor = { type, rate, durationMs: d };
      break;
    }
    case "ramping-arrival-rate": {
      const stages = readStages(raw.stages, scoped(r, ["stages"]));
      const startRate = raw.startRate === undefined ? 0 : readRate(raw.startRate, ["startRate"], r);
      if (stages.length > 0 && startRate !== undefined) executor = { type, startRate, stages };
      break;
    }
    case "constant-vus": {
      const d = duration();
      if (vus === undefined)
        r.error(["vus"], "is required for constant-vus (expected a number of virtual users)");
      else if (d !== undefined) executor = { type, vus: Math.max(1, Math.round(vus)), durationMs: d };
      break;
    }
    case "ramping-vus": {
      const stages = readStages(raw.stages, scoped(r, ["stages"]));
      const startVUs =
        raw.startVUs === undefined
          ? 0
          : readNumber(raw.startVUs, ["startVUs"], r, "a number of virtual users");
      if (stages.length > 0 && startVUs !== undefined) executor = { type, startVUs, stages };
      break;
    }
  }
  const closed = type === "constant-vus" || type === "ramping-vus";
  const maxVus =
    executor?.type === "constant-vus"
      ? executor.vus
      : executor?.type === "ramping-vus"
        ? Math.max(executor.startVUs, ...executor.stages.map((s) => s.target))
        : 0;
  let connections =
    raw.connections === undefined
      ? closed
        ? maxVus
        : 64
      : readNumber(raw.connections, ["connections"], r, "a number of connections");
  if (connections !== undefined && (connections < 1 || connections > 100_000))
    r.error(["connections"], `got ${connections} (expected 1-100000)`);
  if (closed) connections = Math.max(connections ?? 1, maxVus);
  const timeoutMs = raw.timeout === undefined ? 10_000 : readDuration(raw.timeout, ["timeout"], r);
  const maxRequests =
    raw.maxRequests === undefined
      ? DEFAULT_MAX_REQUESTS
      : readNumber(raw.maxRequests, ["maxRequests"], r, "a request count");
  const workers =
    raw.workers === undefined ? 1 : readNumber(raw.workers, ["workers"], r, "a number of worker threads");
  if (workers !== undefined && (workers < 1 || workers > 64 || !Number.isInteger(workers)))
    r.error(["workers"], `got ${workers} (expected 1-64)`);
  const thresholds = readThresholds(
    raw.thresholds,
    scoped(r, ["thresholds"]),
    locOf,
    [...base, "thresholds"],
    requests,
  );
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
