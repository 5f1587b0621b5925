import { z } from "zod";

/**
 * OpenSLO v1, one zod schema per kind, as strict as OpenSLO's own validator (oslo, through the Go SDK,
 * decodes with unknown fields refused): every mapping is closed, so a misspelt `timeWindw` or a
 * `spec.markdown` is an error with a did-you-mean, in `validate` and in the JSON Schema editors get.
 * What needs more than one document (a ref, an `op` on a ratio objective) is checked by the reader.
 */

export const OPENSLO_KINDS = [
  "SLO",
  "SLI",
  "DataSource",
  "AlertPolicy",
  "AlertCondition",
  "AlertNotificationTarget",
  "Service",
] as const;
export type OpenSloKind = (typeof OPENSLO_KINDS)[number];

/** RFC 1123 label, as OpenSLO asks for every name and every ref. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const label = z
  .string()
  .regex(
    DNS_LABEL,
    "expected an RFC 1123 name: lower-case letters, digits and -, starting and ending with a letter or digit, at most 63",
  );

/** duration-shorthand: an integer and one of m h d w M Q Y (m is minutes, M a month). */
export const SHORTHAND = /^\d+[mhdwMQY]$/;
const shorthand = z
  .union([
    z.string().regex(SHORTHAND, "expected a duration shorthand such as 5m, 1h, 28d, 4w, 1M"),
    z.number().int().min(0),
  ])
  .meta({
    description: "duration-shorthand: an integer and m, h, d, w, M, Q or Y (a bare number is minutes)",
  });
/**
 * An optional list, which may also be written empty (`alertPolicies:` with nothing after it, as in
 * OpenSLO's own examples): Go's decoder makes a null a nil slice, the same as leaving the key out.
 */
const optionalList = <S extends z.ZodType>(item: S) => z.array(item).nullable().optional();
const operator = z.enum(["lt", "lte", "gt", "gte"]);
const description = z.string().max(1050);

export const metadata = z.strictObject({
  name: label,
  displayName: z.string().max(63).optional(),
  labels: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const metricSource = z.strictObject({
  metricSourceRef: label.optional(),
  type: z.string().optional(),
  spec: z.record(z.string(), z.unknown()),
});
const metricSpec = z.strictObject({ metricSource });

const ratioMetric = z.strictObject({
  counter: z.boolean().optional(),
  good: metricSpec.optional(),
  bad: metricSpec.optional(),
  total: metricSpec.optional(),
  rawType: z.enum(["success", "failure"]).optional(),
  raw: metricSpec.optional(),
});

export const sliSpec = z.strictObject({
  description: description.optional(),
  thresholdMetric: metricSpec.optional(),
  ratioMetric: ratioMetric.optional(),
});
const inlineSli = z.strictObject({ metadata, spec: sliSpec });

const calendar = z.strictObject({ startTime: z.string(), timeZone: z.string() });
const timeWindow = z.strictObject({
  duration: shorthand,
  isRolling: z.boolean().optional(),
  calendar: calendar.optional(),
});

const objective = z.strictObject({
  displayName: z.string().optional(),
  op: operator.optional(),
  value: z.number().optional(),
  target: z.number().optional(),
  targetPercent: z.number().optional(),
  timeSliceTarget: z.number().optional(),
  timeSliceWindow: shorthand.optional(),
  indicator: inlineSli.optional(),
  indicatorRef: label.optional(),
  compositeWeight: z.number().optional(),
});

export const alertConditionSpec = z.strictObject({
  description: description.optional(),
  severity: z.string().min(1),
  condition: z.strictObject({
    kind: z.literal("burnrate"),
    op: operator,
    threshold: z.number(),
    lookbackWindow: shorthand,
    alertAfter: shorthand.optional(),
  }),
});

const notificationTargetSpec = z.strictObject({
  description: description.optional(),
  target: z.string().min(1),
});

/**
 * An item that is either a reference (`refKey: name`) or an inline document of `kind`: one closed
 * mapping of both, so a misspelt key is named with a did-you-mean, and the two are exclusive.
 */
function refOrInline<S extends z.ZodType>(refKey: string, kind: string, spec: S) {
  return z
    .strictObject({
      [refKey]: label.optional(),
      kind: z.literal(kind).optional(),
      metadata: metadata.optional(),
      spec: spec.optional(),
    })
    .superRefine((v, ctx) => {
      const ref = v[refKey] !== undefined;
      const inline = v.kind !== undefined || v.metadata !== undefined || v.spec !== undefined;
      if (ref && inline)
        ctx.addIssue({
          code: "custom",
          path: [refKey],
          message: `expected either ${refKey} or an inline ${kind} {kind, metadata, spec}, not both`,
        });
      else if (!ref)
        for (const key of ["kind", "metadata", "spec"] as const)
          if (v[key] === undefined)
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: `is required (expected ${refKey}: NAME, or an inline ${kind} with kind, metadata and spec)`,
            });
    });
}

export const alertPolicySpec = z.strictObject({
  description: description.optional(),
  alertWhenNoData: z.boolean().optional(),
  alertWhenBreaching: z.boolean().optional(),
  alertWhenResolved: z.boolean().optional(),
  conditions: z.array(refOrInline("conditionRef", "AlertCondition", alertConditionSpec)).length(1),
  notificationTargets: optionalList(
    refOrInline("targetRef", "AlertNotificationTarget", notificationTargetSpec),
  ),
});

export const sloSpec = z.strictObject({
  description: description.optional(),
  service: z.string().optional(),
  indicator: inlineSli.optional(),
  indicatorRef: label.optional(),
  timeWindow: optionalList(timeWindow),
  budgetingMethod: z.enum(["Occurrences", "Timeslices", "RatioTimeslices"]),
  objectives: z.array(objective).min(1),
  alertPolicies: optionalList(refOrInline("alertPolicyRef", "AlertPolicy", alertPolicySpec)),
});

const dataSourceSpec = z.strictObject({
  description: description.optional(),
  type: z.string().min(1),
  connectionDetails: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
});
const serviceSpec = z.strictObject({ description: description.optional() });

export const SPEC_OF: Record<OpenSloKind, z.ZodType> = {
  SLO: sloSpec,
  SLI: sliSpec,
  DataSource: dataSourceSpec,
  AlertPolicy: alertPolicySpec,
  AlertCondition: alertConditionSpec,
  AlertNotificationTarget: notificationTargetSpec,
  Service: serviceSpec,
};

const envelope = (kind: OpenSloKind) =>
  z.strictObject({
    apiVersion: z.literal("openslo/v1"),
    kind: z.literal(kind),
    metadata,
    spec: SPEC_OF[kind],
  });

/** One OpenSLO v1 document of any kind, chosen by its `kind`. */
export const OPENSLO_DOCUMENT = z.discriminatedUnion(
  "kind",
  OPENSLO_KINDS.map(envelope) as unknown as [ReturnType<typeof envelope>, ...ReturnType<typeof envelope>[]],
);

/** An OpenSLO file as an editor sees it: one document, or a list of them (OpenSLO's own examples). */
export const OPENSLO_FILE = z.union([OPENSLO_DOCUMENT, z.array(OPENSLO_DOCUMENT)]);

/** The schema of one kind's document, for reading it alone. */
export function openSloDocument(kind: OpenSloKind): z.ZodType {
  return envelope(kind);
}

export type SloSpec = z.infer<typeof sloSpec>;
export type SliSpec = z.infer<typeof sliSpec>;
export type AlertPolicySpec = z.infer<typeof alertPolicySpec>;
export type AlertConditionSpec = z.infer<typeof alertConditionSpec>;
