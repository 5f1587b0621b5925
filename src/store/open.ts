import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import { PostgresStore, redactPgUrl } from "./postgres.js";
import { SqliteStore, storePath } from "./sqlite.js";
import type { Store } from "./store.js";

/**
 * The one place a store is chosen: a file path (or `sqlite:` URL) opens the embedded SQLite store,
 * `postgres://` the PostgreSQL store; a URL of any other scheme is refused, never taken as a file
 * name (a run must not land in a new SQLite file under a directory called `postgres:`).
 */
export function openStore(pathOrUrl?: string): Store {
  const given = pathOrUrl ?? process.env.WITHSTAND_STORE;
  const scheme =
    given !== undefined ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]?.toLowerCase() : undefined;
  if (scheme === undefined) return new SqliteStore(storePath(given));
  if (scheme === "sqlite" || scheme === "file")
    return new SqliteStore(storePath(given?.replace(/^[a-z]+:\/\//i, "")));
  if (scheme === "postgres" || scheme === "postgresql") {
    try {
      return new PostgresStore(given ?? "");
    } catch (err) {
      throw new WithstandError(
        "WS_STORE_URL",
        `--store ${redactPgUrl(given ?? "")}: ${(err as Error).message}`,
        EXIT.invalid,
        { cause: err },
      );
    }
  }
  throw new WithstandError(
    "WS_STORE_SCHEME",
    `--store ${redactPgUrl(given ?? "")}: unknown store scheme ${scheme}:// (expected a SQLite file path or postgres://user@host:port/db)`,
  );
}
