import { z } from "zod";
import { HOST_NAME, type LabReady, type LabSpec } from "../core/lab.js";
import { type Diagnostic, hasErrors } from "./diagnostic.js";
import { durationField, durationMs } from "./duration-field.js";
import { check, isRecord, openNative } from "./reporter.js";
import type { SourceDoc } from "./source.js";

const port = z.number().int().min(1).max(65535);
const argv = z
  .array(z.string().min(1))
  .min(1, "expected a command as a list of arguments, e.g. [node, server.js]");

/** A readiness probe: a TCP port listening or a UDP port bound inside the host, or a command exiting 0 there. */
const ready = z
  .strictObject({ tcp: port.optional(), udp: port.optional(), exec: argv.optional() })
  .superRefine((r, ctx) => {
    const keys = (["tcp", "udp", "exec"] as const).filter((k) => r[k] !== undefined);
    if (keys.length !== 1)
      ctx.addIssue({
        code: "custom",
        message: `expected exactly one of tcp (a port), udp (a port) or exec (a command) (got ${keys.length === 0 ? "none" : keys.join(", ")})`,
      });
  })
  .transform(
    (r): LabReady =>
      r.tcp !== undefined ? { tcp: r.tcp } : r.udp !== undefined ? { udp: r.udp } : { exec: r.exec ?? [] },
  );

const name = z
  .string()
  .regex(HOST_NAME, "expected lowercase letters, digits and hyphens, starting with a letter (at most 31)");

/**
 * `kind: Lab`: hosts on one machine, each a network namespace with an address on the lab's bridge, in
 * a zone, running processes that must be ready before the lab is. The lab answers DNS for its hosts.
 */
export const LAB_SPEC = z.strictObject({
  hosts: z
    .array(
      z.strictObject({
        name,
        zone: name,
        processes: z
          .array(
            z.strictObject({
              command: argv,
              ready: ready.optional(),
              timeout: durationField.default("10s"),
            }),
          )
          .default([]),
      }),
    )
    .min(1, "expected at least one host")
    .max(200, "expected at most 200 hosts")
    .superRefine((hosts, ctx) => {
      const seen = new Set<string>();
      hosts.forEach((h, i) => {
        if (seen.has(h.name))
          ctx.addIssue({ code: "custom", path: [i, "name"], message: `host ${h.name} is declared twice` });
        seen.add(h.name);
      });
    }),
});

export function readLab(src: SourceDoc): { spec?: LabSpec; diagnostics: Diagnostic[] } {
  const { r, diagnostics, top } = openNative(src, "Lab");
  if (!top) return { diagnostics };
  const labName = isRecord(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "";
  if (!HOST_NAME.test(labName))
    r.error(["metadata", "name"], "expected the lab's name: lowercase letters, digits and hyphens");
  const spec = check(LAB_SPEC, top.spec, ["spec"], r);
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  return {
    spec: {
      name: labName,
      hosts: spec.hosts.map((h) => ({
        name: h.name,
        zone: h.zone,
        processes: h.processes.map((p) => ({
          command: p.command,
          ...(p.ready ? { ready: p.ready } : {}),
          timeoutMs: durationMs(p.timeout),
        })),
      })),
    },
    diagnostics,
  };
}
