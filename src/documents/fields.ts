import { z } from "zod";

/**
 * Field types the document schemas share. Numbers a `${var}` may fill also take a string of digits
 * or a placeholder, so a templated document fits the schema editors get.
 */
export type Shape = Record<string, z.ZodType>;

export const text = z.string();
export const scalar = z.union([z.string(), z.number(), z.boolean()]);
const VAR = "\\$\\{[^}]+\\}";
export const count = z
  .union([
    z.number().int().min(0),
    z.string().regex(new RegExp(`^\\s*\\d+\\s*$|${VAR}`), "expected a whole number"),
  ])
  .meta({ description: "a whole number" });
export const positive = z.union([
  z.number().positive(),
  z.string().regex(new RegExp(`^\\s*\\d+(\\.\\d+)?\\s*$|${VAR}`), "expected a positive number"),
]);
/** A whole number in [min, max], or digits, or a `${var}`. */
export const countIn = (min: number, max: number) =>
  z.union([
    z.number().int().min(min).max(max),
    z.string().regex(new RegExp(`^\\s*\\d+\\s*$|${VAR}`), `expected a whole number from ${min} to ${max}`),
  ]);
export const intOrString = z.union([z.number().int(), z.string()]);
/** A request body: text, or JSON sent as such. */
export const body = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]);
/** k6's rate: 1000/s, 60/m, 50 (per second). */
export const rate = z
  .union([
    z.number().positive(),
    z
      .string()
      .regex(
        new RegExp(`^\\s*\\d+(\\.\\d+)?\\s*(\\/\\s*[smh])?\\s*$|${VAR}`),
        "expected a rate such as 1000/s, 60/m or 50",
      ),
  ])
  .meta({ description: "a rate such as 1000/s, 60/m or 50 (per second)" });

/**
 * Every key of `keys`, each optional, each with its own type: a key the reader knows but the schema
 * does not type is a bug caught when the module loads, so no field exports as `{}`.
 */
export function typed<T extends Shape>(
  keys: readonly string[],
  types: T,
): z.ZodObject<{ [K in keyof T]: z.ZodOptional<T[K]> }, z.core.$strict> {
  const shape: Shape = {};
  for (const k of keys) {
    const t = types[k];
    if (!t) throw new Error(`schemas: no type for key ${k}`);
    shape[k] = t.optional();
  }
  return z.strictObject(shape) as unknown as z.ZodObject<
    { [K in keyof T]: z.ZodOptional<T[K]> },
    z.core.$strict
  >;
}
