/** The executable's entry point. The kill switch skips the CLI framework: `withstand halt` must act within milliseconds. */
import { reportError } from "./fail.js";
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

// Every error, a usage error included, arrives here only after the command's `finally` blocks (its
// sessions' teardowns) have run; then it is printed once, with its code, and the process exits.
start().catch((err: unknown) => {
  // `--` ends the options: a `--json` after it belongs to a child command (`withstand exec -- ...`).
  const end = args.indexOf("--");
  const json = (end < 0 ? args : args.slice(0, end)).includes("--json");
  const code = reportError(err, json);
  // Exit even if a child's pipe or a timer would keep the loop alive: a failed command must not hang.
  process.exit(code);
});
