import { UsageError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import { suggest } from "../core/suggest.js";
import { jsonSchemaOf, SCHEMA_KINDS } from "../documents/kinds.js";

/** `withstand schema [KIND]`: the JSON Schema of a document kind, or the list of kinds. */
export function schemaCommand(kind: string | undefined): number {
  if (kind === undefined) {
    for (const { name, title } of SCHEMA_KINDS) process.stdout.write(`${name.padEnd(14)} ${title}\n`);
    return EXIT.ok;
  }
  const names = SCHEMA_KINDS.map((k) => k.name);
  const found = names.find((n) => n.toLowerCase() === kind.toLowerCase());
  const schema = found === undefined ? undefined : jsonSchemaOf(found);
  if (schema === undefined) {
    const hint = suggest(kind, names);
    throw new UsageError(
      `schema: unknown document kind ${JSON.stringify(kind)} (expected one of ${names.join(", ")})${hint ? `; did you mean ${hint}?` : ""}`,
    );
  }
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return EXIT.ok;
}
