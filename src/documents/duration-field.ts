import { z } from "zod";
import { parseDuration } from "../core/duration.js";

/**
 * The duration a document field takes: a string with units ("250ms", "10s", "1m30s") or a number of
 * seconds. Its JSON Schema is a string pattern or a number, so editors check it as `validate` does.
 * (Stand-in with the same contract as the shared duration type; the lead unifies them at merge.)
 */
export const DURATION_PATTERN = "^\\s*(\\d+(\\.\\d+)?(ms|s|m|h|d))+\\s*$|^\\s*\\d+(\\.\\d+)?\\s*$";

export const durationField = z
  .union([
    z
      .string()
      .regex(new RegExp(DURATION_PATTERN), 'expected seconds or a duration such as "500ms", "10s", "1m30s"'),
    z.number().min(0),
  ])
  .meta({ description: 'seconds, or a duration such as "500ms", "10s", "1m30s"' });

/** Milliseconds of a value `durationField` accepted. */
export function durationMs(value: string | number): number {
  return parseDuration(value) ?? 0;
}
