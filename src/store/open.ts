import { WithstandError } from "../core/errors.js";
import { PostgresStore } from "./postgres.js";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";
import { parseStoreLocation, redactStoreUrl } from "./url.js";

/**
 * The one place a store is chosen: a file path (or `sqlite:` URL) opens the embedded SQLite store,
 * `postgres://` the PostgreSQL store; a URL of any other scheme is refused, never taken as a file
 * name (a run must not land in a new SQLite file under a directory called `postgres:`). The location
 * is read by store/url.ts, which also names it in every message without its password.
 */
export function openStore(pathOrUrl?: string, options: { migrate: boolean } = { migrate: true }): Store {
  const given = pathOrUrl ?? process.env.WITHSTAND_STORE;
  let loc: ReturnType<typeof parseStoreLocation>;
  try {
    loc = parseStoreLocation(given);
  } catch (err) {
    throw new WithstandError(
      "WS_STORE_URL",
      `--store ${redactStoreUrl(given ?? "")}: ${(err as Error).message}`,
    );
  }
  if (loc.kind === "sqlite") return new SqliteStore(loc.path, options);
  if (loc.kind === "postgres") return new PostgresStore(given ?? "", options);
  throw new WithstandError(
    "WS_STORE_SCHEME",
    `--store ${loc.url}: unknown store scheme ${loc.scheme}:// (expected a SQLite file path or postgres://user@host:port/db)`,
  );
}
