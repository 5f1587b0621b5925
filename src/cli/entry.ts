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
  // A throw from a stop path (here, what runs when SIGTERM arrives) that nothing awaits.
  if (process.env.WITHSTAND_TEST_CRASH === "stop-path")
    process.once("SIGTERM", () =>
      setImmediate(() => {
        throw new TypeError("crash in a stop path requested by WITHSTAND_TEST_CRASH");
      }),
    );
  const { main } = await import("./main.js");
  await main(process.argv);
}

const jsonRequested = (): boolean => {
  // `--` ends the options: a `--json` after it belongs to a child command (`withstand exec -- ...`).
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
};

// A throw nothing awaits (a timer, a signal or abort listener on a stop path) is a bug in withstand:
// its stack is printed and the exit is 70, never Node's 1 ("your system deviated"). A fault still
// held is reverted by the run's crash watchdog, which sees the runner gone.
for (const event of ["uncaughtException", "unhandledRejection"] as const)
  process.on(event, (err: unknown) => process.exit(reportError(err, jsonRequested())));

// Every error, a usage error included, arrives here only after the command's `finally` blocks (its
// sessions' teardowns) have run; then it is printed once, with its code, and the process exits.
start().catch((err: unknown) => {
  const code = reportError(err, jsonRequested());
  // Exit even if a child's pipe or a timer would keep the loop alive: a failed command must not hang.
  process.exit(code);
});
