import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/proxy/listen.js";

/**
 * A real PostgreSQL server of the test's own: `initdb` in a temporary directory, a free loopback port,
 * stopped at the end. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user
 * (Debian's package creates it) through runuser. Nothing is mocked.
 */
export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  /** A URL for a fresh schema of its own: a new, empty store each time. */
  freshStore(): string;
  /** Stops the server for `downMs`, then starts it again (clients see their connections drop). */
  restart(downMs?: number): void;
  /** Stops the server (fast shutdown) and keeps its data, until `up`. */
  down(): void;
  up(): void;
  stop(): void;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const v = versions[0];
  if (!v)
    throw new Error("PostgreSQL is not installed: `make test` installs it (apt-get install postgresql)");
  return join(root, v, "bin");
}

let schemas = 0;

/**
 * `password`: the server asks for it (scram-sha-256) and `url` carries it; otherwise it trusts every
 * local connection.
 */
export async function startPostgres(opts: { password?: string } = {}): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "withstand-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    const r = asRoot
      ? spawnSync("runuser", ["-u", "postgres", "--", full, ...args], { encoding: "utf8" })
      : spawnSync(full, args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}${r.stdout}`);
  };
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const auth = ["-A", "trust"];
  if (opts.password !== undefined) {
    const pwfile = join(dir, "pwfile");
    writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
    if (asRoot)
      chownSync(pwfile, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()), -1);
    auth.splice(0, 2, "-A", "scram-sha-256", `--pwfile=${pwfile}`);
  }
  run("initdb", ["-D", data, ...auth, "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", "-o", options, "start"]);
  const userinfo = opts.password === undefined ? "postgres" : `postgres:${encodeURIComponent(opts.password)}`;
  const url = `postgres://${userinfo}@127.0.0.1:${port}/postgres`;
  return {
    url,
    freshStore: () => `${url}?schema=t${process.pid}_${++schemas}`,
    restart(downMs = 0) {
      run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      if (downMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, downMs);
      run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", "-o", options, "start"]);
    },
    down() {
      run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    up() {
      run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", "-o", options, "start"]);
    },
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
