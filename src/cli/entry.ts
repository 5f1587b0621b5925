/** The executable's entry point. The kill switch skips the CLI framework: `withstand halt` must act within milliseconds. */
const args = process.argv.slice(2);
const fastHalt = args[0] === "halt" && args.slice(1).every((a) => a === "--json");

async function start(): Promise<void> {
  if (fastHalt) {
    const { haltCommand } = await import("./halt.js");
    process.exitCode = await haltCommand({ json: args.includes("--json") });
    return;
  }
  const { main } = await import("./main.js");
  await main(process.argv);
}

start().catch((err: unknown) => {
  process.stderr.write(`withstand: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  // Exit even if a child's pipe or a timer would keep the loop alive: a crashed command must not hang.
  process.exit(1);
});
