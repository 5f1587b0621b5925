import { z } from "zod";
import { ActivityFailure } from "../core/errors.js";
import { defineProbeKind, type ProbeKind } from "../core/probe-kind.js";
import { httpUrl, int, seconds } from "../core/values.js";

interface HealthProvider {
  type: "health";
  url: string;
  /** Failing checks of this severity or worse fail the probe (1: only critical ones). */
  severity: 1 | 2 | 3;
  timeoutMs: number;
}

interface FtCheck {
  id?: string;
  name?: string;
  ok?: boolean;
  severity?: number;
  checkOutput?: string;
}

const schema = z
  .strictObject({
    type: z.literal("health"),
    url: httpUrl("an FT /__health URL"),
    severity: int("1, 2 or 3", 1)
      .superRefine((v, ctx) => {
        if (v > 3) ctx.addIssue({ code: "custom", message: `got ${v} (expected 1, 2 or 3)` });
      })
      .optional(),
    timeout: seconds("seconds").optional(),
  })
  .transform(
    (p): HealthProvider => ({
      type: "health",
      url: p.url,
      severity: (p.severity ?? 1) as 1 | 2 | 3,
      timeoutMs: (p.timeout ?? 10) * 1000,
    }),
  );

/**
 * An FT health endpoint as a probe: `provider: {type: health, url: .../__health, severity: 1}`. It
 * fails when a check of that severity or worse is failing (the FT standard's pager rule), not on any
 * failing check, and never because /__health answered 200 with failures inside.
 */
export const healthProbe: ProbeKind = defineProbeKind<HealthProvider>({
  type: "health",
  summary: "an FT health-check endpoint; output {ok, severity, failing}",
  schema,
  describe: (p) => `would read ${p.url} and fail on failing checks of severity ${p.severity} or worse`,
  async execute(p, signal) {
    let body: { ok?: boolean; severity?: number; checks?: FtCheck[] };
    try {
      // The HTTP client is loaded when the probe runs, not when a document naming it is validated.
      const { request } = await import("undici");
      const res = await request(p.url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.any([signal, AbortSignal.timeout(p.timeoutMs)]),
      });
      if (res.statusCode >= 400) {
        await res.body.dump();
        throw new ActivityFailure(`${p.url}: HTTP ${res.statusCode}`);
      }
      body = (await res.body.json()) as typeof body;
    } catch (err) {
      if (err instanceof ActivityFailure) throw err;
      throw new ActivityFailure(`${p.url}: ${(err as Error).message}`);
    }
    if (!Array.isArray(body.checks))
      throw new ActivityFailure(`${p.url}: not an FT health response (no checks)`);
    const failing = body.checks
      .filter((c) => c.ok !== true && (c.severity ?? 1) <= p.severity)
      .map((c) => ({ id: c.id, name: c.name, severity: c.severity, checkOutput: c.checkOutput }));
    return { ok: failing.length === 0, severity: body.severity ?? null, failing, checks: body.checks.length };
  },
  succeeded: (out) => (out as { ok?: boolean } | null)?.ok === true,
});
