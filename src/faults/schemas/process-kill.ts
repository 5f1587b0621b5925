import { z } from "zod";
import { checkSelection, selectionFields } from "./process-selection.js";

export const SIGNALS = [
  "SIGKILL",
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGUSR1",
  "SIGUSR2",
  "SIGABRT",
] as const;

export const signal = z.unknown().transform((v, ctx) => {
  const text = String(v ?? "SIGKILL").toUpperCase();
  const name = text.startsWith("SIG") ? text : `SIG${text}`;
  if ((SIGNALS as readonly string[]).includes(name)) return name as NodeJS.Signals;
  ctx.addIssue({
    code: "custom",
    message: `got ${JSON.stringify(v)} (expected one of ${SIGNALS.join(", ")})`,
  });
  return z.NEVER;
});

export const schema = z
  .strictObject({ ...selectionFields, signal: signal.optional() })
  .superRefine(checkSelection, { when: () => true });
