import { EXIT } from "../core/exit-codes.js";

/** Prints a usage or input error on one line and exits 2. */
export function failUsage(message: string): never {
  process.stderr.write(`withstand: ${message}\n`);
  process.exit(EXIT.invalid);
}
