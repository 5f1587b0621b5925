import { z } from "zod";
import type { ProcessSelector } from "../../core/experiment.js";
import type { SelectionMode } from "../../core/select.js";
import { int, nonEmpty, num } from "../schema.js";

/** The selector and blast radius shared by the process fault kinds: `select`, `mode`, `value`. */
const selector = z
  .strictObject({
    pid: int("a process id", 1).optional(),
    command: nonEmpty("a substring or /regex/ of the command line").optional(),
    port: int("a TCP port", 0).optional(),
  })
  .superRefine((s, ctx) => {
    const keys = (["pid", "command", "port"] as const).filter((k) => s[k] !== undefined);
    if (keys.length !== 1)
      ctx.addIssue({
        code: "custom",
        message: `expected exactly one of pid, command, port (got ${keys.length === 0 ? "none" : keys.join(", ")})`,
      });
    if (s.pid === 1)
      ctx.addIssue({
        code: "custom",
        path: ["pid"],
        message: "refusing to touch pid 1 (expected the pid of a process you own)",
      });
    if (s.port !== undefined && (s.port < 1 || s.port > 65535))
      ctx.addIssue({
        code: "custom",
        path: ["port"],
        message: `got ${s.port} (expected a TCP port 1-65535)`,
      });
    const re = typeof s.command === "string" ? /^\/(.*)\/([a-z]*)$/.exec(s.command) : null;
    if (re) {
      try {
        new RegExp(re[1] ?? "", re[2]);
      } catch (err) {
        ctx.addIssue({
          code: "custom",
          path: ["command"],
          message: `invalid regex: ${(err as Error).message}`,
        });
      }
    }
  });

export const selectionFields = {
  select: z.unknown().transform((v, ctx) => {
    if (v === undefined || typeof v !== "object" || v === null || Array.isArray(v)) {
      ctx.addIssue({
        code: "custom",
        message:
          v === undefined
            ? "is required (expected {pid}, {command} or {port})"
            : "expected a mapping {pid}, {command} or {port}",
      });
      return z.NEVER;
    }
    const r = selector.safeParse(v);
    if (!r.success) {
      for (const issue of r.error.issues)
        ctx.addIssue({ ...issue, code: "custom", path: issue.path } as never);
      return z.NEVER;
    }
    return r.data as ProcessSelector;
  }),
  mode: z.enum(["one", "all", "fixed", "percent"]).optional(),
  value: num("a count").optional(),
};

/** Adds "value is required" for fixed and percent, and bounds it; runs even when other fields failed. */
export function checkSelection(
  o: { mode?: string | undefined; value?: unknown },
  ctx: z.RefinementCtx,
): void {
  const mode = o.mode ?? "one";
  if (mode !== "fixed" && mode !== "percent") return;
  const what = mode === "fixed" ? "how many processes to hit" : "a percentage 0-100";
  if (o.value === undefined) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `is required (expected ${what})` });
    return;
  }
  const v = o.value;
  if (typeof v === "number" && (v < 0 || (mode === "percent" && v > 100)))
    ctx.addIssue({
      code: "custom",
      path: ["value"],
      message: `got ${v} (expected ${mode === "percent" ? "0-100" : "a count >= 0"})`,
    });
}

export function selectionOf(o: { mode?: string | undefined; value?: number | undefined }): SelectionMode {
  const mode = o.mode ?? "one";
  if (mode === "fixed" || mode === "percent") return { mode, value: o.value ?? 0 };
  return { mode: mode as "one" | "all" };
}
