import type { Command } from "commander";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `withstand flags serve|set|log`: the flag server, its kill switch from a terminal, its audit log. */
export function addFlagsCommand(program: Command): void {
  const flags = program
    .command("flags")
    .description("feature flags: serve flagd flag files over OFREP, switch them, read who switched what");
  flags
    .command("serve")
    .description(
      "serve flagd flag files (JSON or YAML) over OFREP; reloads on change, audited API to switch flags",
    )
    .argument("<files...>", "flagd flag-definition files")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port (0 picks a free one)", "8016")
    .option(
      "--token <[name=]token>",
      "a token that may change flags, audited under its name (repeatable; default WITHSTAND_FLAGS_TOKEN)",
      collect,
    )
    .option(
      "--cors-origin <origin>",
      "a browser origin allowed to call OFREP, e.g. http://localhost:5173 (repeatable)",
      collect,
    )
    .option("--name <name>", "this server's name in the audit log (default host:port)")
    .option("--min-poll-interval <ms>", "the smallest polling interval OFREP clients may use", "500")
    .option("--require-targeting-key", "answer TARGETING_KEY_MISSING to a context without targetingKey")
    .option("--store <path|url>", "where flips are audited (a SQLite file or postgres:// URL)")
    .addHelpText(
      "after",
      `
Examples:
  export WITHSTAND_FLAGS_TOKEN=ops=$(openssl rand -hex 16)   # read by serve and by flags set
  withstand flags serve flags.json
  curl -X POST localhost:8016/ofrep/v1/evaluate/flags/new-pricing -d '{"context":{"targetingKey":"u1"}}'

API: GET /api/flags; PATCH /api/flags/KEY {state, variant, weights, reason} with the token.`,
    )
    .action(async (files: string[], opts) => {
      const { flagsServeCommand } = await import("./flags-commands.js");
      process.exitCode = await flagsServeCommand(files, opts);
    });
  flags
    .command("set")
    .description("switch a flag on a running flags server (audited): the ops kill switch")
    .argument("<key>", "the flag")
    .option("--variant <name>", "make this variant the default")
    .option("--state <state>", "ENABLED or DISABLED")
    .option("--weights <v=n,...>", "fractional weights, e.g. on=50,off=50")
    .option("--reason <text>", "why, for the audit log")
    .option("--server <url>", "the flags server (default WITHSTAND_FLAGS_SERVER or http://127.0.0.1:8016)")
    .option(
      "--token <[name=]token>",
      "a token of the server, as given to its --token (default WITHSTAND_FLAGS_TOKEN)",
    )
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand flags set recommendations --variant off --reason 'INC-42: db overload'",
    )
    .action(async (key: string, opts) => {
      const { flagsSetCommand } = await import("./flags-commands.js");
      process.exitCode = await flagsSetCommand(key, opts);
    });
  flags
    .command("log")
    .description("who changed which flag, from what to what, when and why (newest first)")
    .argument("[key]", "only this flag")
    .option("--limit <n>", "at most this many changes", "50")
    .option("--server-name <name>", "only changes made by this flag server")
    .option("--store <path|url>", "the store the server audits to")
    .option("--json", "print JSON")
    .action(async (key: string | undefined, opts) => {
      const { flagsLogCommand } = await import("./flags-commands.js");
      process.exitCode = await flagsLogCommand(key, opts);
    });
}
