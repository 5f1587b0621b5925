/** The executable's entry point. The kill switch skips the CLI framework: `withstand halt` must act within milliseconds. */
import { WithstandError } from "../core/errors.js";
import { EXIT_INTERNAL } from "../core/exit-codes.js";
import { guardOutput } from "./streams.js";

const args = process.argv.slice(2);
const fastHalt = args[0] === "halt" && args.slice(1).every((a) => a === "--json");

async function start(): Promise<void> {
  guardOutput();
  if (fastHalt) {
    const { haltCommand } = await import("./halt.js");
    process.exitCode = await haltCommand({ json: args.includes("--json") });
    return;
  }
  // Lets the tests prove that a bug exits 70 (there is, deliberately, no other way to crash on purpose).
  if (process.env.WITHSTAND_TEST_CRASH === "1")
    throw new TypeError("crash requested by WITHSTAND_TEST_CRASH");
  const { main } = await import("./main.js");
  await main(process.argv);
}

start().catch((err: unknown) => {
  if (err instanceof WithstandError) {
    process.stderr.write(`withstand: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  // Not one of ours: a bug in withstand. 70 (EX_SOFTWARE), never 1, which means "your system deviated".
  process.stderr.write(
    `withstand: internal error: this is a bug in withstand, please report it\n${(err as Error)?.stack ?? String(err)}\n`,
  );
  // Exit even if a child's pipe or a timer would keep the loop alive: a crashed command must not hang.
  process.exit(EXIT_INTERNAL);
});
