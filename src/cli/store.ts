import { existsSync } from "node:fs";
import { EXIT } from "../core/exit-codes.js";
import { MIGRATIONS } from "../store/migrations.js";
import { openStore } from "../store/open.js";
import { PostgresStore } from "../store/postgres.js";
import { SqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { describeStoreLocation, parseStoreLocation } from "../store/url.js";
import { failUsage } from "./fail.js";

function describeStore(store: Store): string {
  if (store instanceof PostgresStore) return `PostgreSQL ${store.url}`;
  if (store instanceof SqliteStore) return `SQLite ${store.path}`;
  return "store";
}

async function versionOf(store: Store): Promise<{ applied: number; latest: number }> {
  if (store instanceof PostgresStore) return store.version();
  if (store instanceof SqliteStore) return store.version();
  return { applied: 0, latest: 0 };
}

/**
 * `withstand store status`: which store, its schema version, and how many runs it holds. It only reads:
 * a store that does not exist yet is not created, and a schema that is missing or behind is not migrated.
 */
export async function storeStatusCommand(flags: { store?: string; json?: boolean }): Promise<number> {
  const loc = parseStoreLocation(flags.store);
  if (loc.kind === "sqlite" && !existsSync(loc.path)) {
    const name = describeStoreLocation(flags.store);
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({ store: name, applied: 0, latest: MIGRATIONS.length, runs: 0, running: 0 })}\n`,
      );
    else process.stdout.write(`${name}: no store yet (a run creates it), 0 runs\n`);
    return EXIT.ok;
  }
  const store = openStore(flags.store, { migrate: false });
  try {
    const v = await versionOf(store);
    // Before the first migration there are no tables to count in.
    const runs = v.applied > 0 ? await store.countRuns() : 0;
    const running = v.applied > 0 ? await store.countRuns({ status: "running" }) : 0;
    if (flags.json)
      process.stdout.write(`${JSON.stringify({ store: describeStore(store), ...v, runs, running })}\n`);
    else
      process.stdout.write(
        `${describeStore(store)}: schema version ${v.applied} of ${v.latest}${v.applied < v.latest ? " (run `withstand store migrate`)" : ""}, ${runs} runs (${running} running)\n`,
      );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `withstand store migrate`: applies missing migrations (safe while other runners start). */
export async function storeMigrateCommand(flags: { store?: string }): Promise<number> {
  const store = openStore(flags.store);
  try {
    const applied = store instanceof PostgresStore ? await store.migrate() : 0;
    const v = await versionOf(store);
    process.stdout.write(
      `${describeStore(store)}: ${applied > 0 ? `applied ${applied} migration${applied > 1 ? "s" : ""}, ` : ""}schema version ${v.applied} of ${v.latest}\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/**
 * `withstand store copy --from A --to B`: every finished run with its events and windows, in one
 * transaction each. Runs already in B are skipped, so a copy can be repeated; running runs wait for
 * a later copy.
 */
export async function storeCopyCommand(flags: {
  from?: string;
  to?: string;
  json?: boolean;
}): Promise<number> {
  if (!flags.from || !flags.to) failUsage("store copy: expected --from STORE and --to STORE");
  const from = openStore(flags.from);
  const to = openStore(flags.to);
  try {
    const total = await from.countRuns();
    let copied = 0;
    let present = 0;
    let running = 0;
    const PAGE = 200;
    for (let offset = 0; offset < total; offset += PAGE) {
      for (const summary of await from.listRuns({ limit: PAGE, offset })) {
        if (summary.status === "running") {
          running++;
          continue;
        }
        const run = await from.getRun(summary.id);
        if (!run) continue;
        if (await to.importRun(run)) copied++;
        else present++;
        if (!flags.json && (copied + present) % 100 === 0)
          process.stderr.write(`  ${copied + present + running} of ${total} runs...\n`);
      }
    }
    const result = {
      from: describeStore(from),
      to: describeStore(to),
      runs: total,
      copied,
      alreadyThere: present,
      running,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `copied ${copied} of ${total} runs from ${result.from} to ${result.to}${present ? `; ${present} were already there` : ""}${running ? `; ${running} still running (copy again later)` : ""}\n`,
      );
    return EXIT.ok;
  } finally {
    await from.close();
    await to.close();
  }
}
