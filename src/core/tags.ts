import type { RequestTemplate } from "./load-plan.js";
import { METRICS, type MetricName } from "./threshold.js";

/**
 * k6 sub-metrics: a threshold on `http_req_duration{type:API}` judges only the requests whose tags
 * match. Tags are the request's own `tags` plus the system tags withstand sets: `method`, `url`,
 * `name` (the URL unless a tag names it, as in k6), `status` and `expected_response` (status 200-399).
 */
export const SYSTEM_TAGS = ["method", "url", "name", "status", "expected_response"] as const;
/** k6 system tags withstand does not set; a filter on one is refused rather than never matching. */
const UNSET_K6_TAGS = [
  "group",
  "scenario",
  "check",
  "error",
  "error_code",
  "proto",
  "subproto",
  "tls_version",
  "ip",
  "vu",
  "iter",
];
/** Only request metrics carry request tags. */
export const TAGGABLE: readonly MetricName[] = ["http_req_duration", "http_req_failed", "http_reqs"];

export interface SubMetric {
  metric: MetricName;
  tags: Record<string, string>;
  /** The tag set in one canonical form (sorted), which is how windows keep the matching requests. */
  key: string;
}

export type SubMetricParse =
  | { ok: true; sub: SubMetric | undefined; metric: MetricName }
  | { ok: false; error: string };

const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1$/, "$2");

/** The canonical key of a tag set: `k:v` pairs sorted by key, comma separated. */
export function tagKey(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}:${tags[k]}`)
    .join(",");
}

/**
 * Parses a threshold's metric as k6 writes it: `http_req_duration` or `http_req_duration{k:v,k2:v2}`
 * (spaces and quotes around keys and values allowed). `declared` are the tag names the requests set.
 */
export function parseMetricKey(text: string, declared: ReadonlySet<string>): SubMetricParse {
  const m = /^\s*([A-Za-z_][\w]*)\s*(?:\{(.*)\})?\s*$/.exec(text);
  const name = m?.[1];
  if (!m || name === undefined)
    return {
      ok: false,
      error: `invalid metric ${JSON.stringify(text)} (expected e.g. http_req_duration or http_req_duration{type:API})`,
    };
  if (!METRICS.includes(name as MetricName))
    return { ok: false, error: `unknown metric ${name} (expected one of ${METRICS.join(", ")})` };
  const metric = name as MetricName;
  if (m[2] === undefined) return { ok: true, sub: undefined, metric };
  if (!TAGGABLE.includes(metric))
    return { ok: false, error: `${metric} has no request tags (sub-metrics work on ${TAGGABLE.join(", ")})` };
  const tags: Record<string, string> = {};
  for (const part of m[2].split(",")) {
    const colon = part.indexOf(":");
    if (colon < 0)
      return { ok: false, error: `tag filter ${JSON.stringify(part.trim())} in ${text}: expected key:value` };
    const key = unquote(part.slice(0, colon));
    const value = unquote(part.slice(colon + 1));
    if (key === "")
      return { ok: false, error: `tag filter ${JSON.stringify(part.trim())} in ${text}: expected key:value` };
    if (UNSET_K6_TAGS.includes(key) && !declared.has(key))
      return {
        ok: false,
        error: `tag ${key} in ${text} is a k6 system tag withstand does not set (it sets ${SYSTEM_TAGS.join(", ")} and each request's tags)`,
      };
    if (!(SYSTEM_TAGS as readonly string[]).includes(key) && !declared.has(key))
      return {
        ok: false,
        error: `tag ${key} in ${text}: no request sets it (add tags: {${key}: ${value}} to a request; system tags are ${SYSTEM_TAGS.join(", ")})`,
      };
    if (key === "expected_response" && value !== "true" && value !== "false")
      return { ok: false, error: `tag expected_response in ${text}: expected true or false` };
    tags[key] = value;
  }
  return { ok: true, sub: { metric, tags, key: tagKey(tags) }, metric };
}

/** The tags a request carries before it is answered (its own, method, url, name). */
export function staticTags(t: RequestTemplate): Record<string, string> {
  return { ...t.tags, method: t.method, url: t.url, name: t.tags?.name ?? t.url };
}

/**
 * A filter compiled for the hot path: whether each request template can match at all (known before
 * any request is sent), then the response's status.
 */
export interface TagFilter {
  key: string;
  /** Per request template: its static tags match. */
  templates: boolean[];
  status?: string;
  expectedResponse?: boolean;
}

export function compileFilter(
  tags: Record<string, string>,
  templates: readonly RequestTemplate[],
): TagFilter {
  const { status, expected_response, ...rest } = tags;
  return {
    key: tagKey(tags),
    templates: templates.map((t) => {
      const own = staticTags(t);
      return Object.entries(rest).every(([k, v]) => own[k] === v);
    }),
    ...(status !== undefined ? { status } : {}),
    ...(expected_response !== undefined ? { expectedResponse: expected_response === "true" } : {}),
  };
}

/** Whether a response of template `index` with `status` (undefined: no response) matches. */
export function filterMatches(f: TagFilter, index: number, status: number | undefined): boolean {
  if (!f.templates[index]) return false;
  // k6 tags a request that got no response with status 0.
  if (f.status !== undefined && String(status ?? 0) !== f.status) return false;
  if (f.expectedResponse !== undefined) {
    const expected = status !== undefined && status >= 200 && status < 400;
    if (expected !== f.expectedResponse) return false;
  }
  return true;
}

/** The distinct tag filters a plan's thresholds ask for. */
export function filtersOf(
  thresholds: readonly { tags?: Record<string, string> | undefined }[],
  templates: readonly RequestTemplate[],
): TagFilter[] {
  const seen = new Map<string, TagFilter>();
  for (const t of thresholds) {
    if (!t.tags) continue;
    const f = compileFilter(t.tags, templates);
    if (!seen.has(f.key)) seen.set(f.key, f);
  }
  return [...seen.values()];
}
