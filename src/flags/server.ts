import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import { allowedHost, type Guard, guardFor, sameToken } from "../safety/policy.js";
import type { FlagChange } from "../store/flag-audit.js";
import { type Change, ChangeError, FlagControl, LEASE_ID } from "./control.js";
import { FLAGD_PREFIX, handleFlagdApi } from "./flagd-api.js";
import { FlagSet, snapshot, weightsOf } from "./flagset.js";
import { handleOfrep, readBody, send } from "./ofrep.js";
import type { FlagFile } from "./schema.js";

/**
 * `withstand flags serve`: flagd flag files served over OFREP, reloaded when they change (a broken
 * edit is reported at file:line:col and the last good definitions stay), with an API to switch
 * flags (token required, every change audited) and leases that undo a change whose holder died.
 */

export interface FlagFileRead {
  flags?: FlagFile;
  /** Every problem, formatted as file:line:col: message (warnings included). */
  problems: string[];
  /** The errors among them, by path and message (no position), to tell a new error from an old one. */
  errors: string[];
}

export interface FlagServerOptions {
  files: string[];
  host: string;
  port: number;
  /** Named tokens; a change is audited under the name of the token that made it. */
  tokens: { name: string; secret: string }[];
  /** Origins whose browsers may call OFREP (CORS); no other origin may. */
  corsOrigins: string[];
  /** The server's name in the audit log (default: its address). */
  name?: string | undefined;
  minPollingIntervalMs?: number;
  requireTargetingKey?: boolean;
  read: (file: string, text: string) => FlagFileRead;
  audit: (c: FlagChange) => Promise<void>;
  /** Where reload reports go (stderr in the CLI). */
  log: (line: string) => void;
}

export class FlagFileError extends WithstandError {
  constructor(readonly problems: string[]) {
    super("WS_FLAG_FILE", problems.join("\n"), EXIT.invalid);
    this.name = "FlagFileError";
  }
}

export class FlagServer {
  readonly flags = new FlagSet();
  private control: FlagControl | undefined;
  private server: Server | undefined;
  private guard: Guard | undefined;
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private readonly files: string[];
  url = "";
  name = "";
  /** Completed reloads (applied or refused), for tests and the listing. */
  reloads = 0;

  constructor(private readonly opts: FlagServerOptions) {
    this.files = opts.files.map((f) => resolve(f));
  }

  /** Reads every file: their flags, or every problem when one of them is broken. */
  private async readTexts(): Promise<(string | Error)[]> {
    return Promise.all(this.files.map((f) => readFile(f, "utf8").catch((err: unknown) => err as Error)));
  }

  private async readAll(read?: (string | Error)[]): Promise<{
    loaded?: { file: string; flags: FlagFile }[];
    problems: string[];
    errors: Set<string>;
    /** The files' texts as read, to skip a reload when nothing changed. */
    texts: string[];
  }> {
    const loaded: { file: string; flags: FlagFile }[] = [];
    const problems: string[] = [];
    const errors = new Set<string>();
    const texts: string[] = [];
    let broken = false;
    const all = read ?? (await this.readTexts());
    for (const [i, file] of this.files.entries()) {
      const text = all[i];
      if (typeof text !== "string") {
        problems.push(`${file}:1:1: cannot read: ${text?.message} (expected a flagd flag file)`);
        broken = true;
        continue;
      }
      texts.push(text);
      const r = this.opts.read(file, text);
      problems.push(...r.problems);
      for (const e of r.errors) errors.add(`${file}: ${e}`);
      if (r.flags) loaded.push({ file, flags: r.flags });
      else broken = true;
    }
    return broken ? { problems, errors, texts } : { loaded, problems, errors, texts };
  }

  /** Errors in the definitions in force: flag-level ones flagd loads anyway (a flag answering PARSE_ERROR). */
  private knownErrors = new Set<string>();
  private lastTexts: string[] = [];

  async start(): Promise<string> {
    const first = await this.readAll();
    if (!first.loaded) throw new FlagFileError(first.problems);
    // At start there is nothing better to keep: a flag whose rules are broken is served as flagd serves
    // it (its evaluations answer PARSE_ERROR), and reported.
    for (const p of first.problems) this.opts.log(p);
    this.flags.load(first.loaded);
    this.knownErrors = first.errors;
    this.lastTexts = first.texts;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { errorDetails: (err as Error).message });
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(this.opts.port, this.opts.host, () => ok());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    this.url = `http://${host}:${port}`;
    this.name = this.opts.name ?? `${host}:${port}`;
    this.guard = guardFor(this.opts.host, port, undefined, true);
    this.control = new FlagControl(this.flags, this.name, (c) =>
      this.opts.audit(c).catch((err: unknown) => {
        this.opts.log(`flags: cannot audit the change of ${c.flag} (${c.reason}): ${(err as Error).message}`);
        throw err;
      }),
    );
    this.watch();
    return this.url;
  }

  /**
   * Watches each file's directory, reloading shortly after anything in it changes: editors replace a
   * file by rename, and a Kubernetes ConfigMap volume swaps a `..data` symlink without touching the
   * file's own name. A reload whose texts did not change does nothing.
   */
  private watch(): void {
    const dirs = new Set(this.files.map((f) => dirname(f)));
    for (const dir of dirs) {
      const w = watch(dir, () => this.schedule());
      w.on("error", () => undefined);
      this.watchers.push(w);
    }
  }

  /** The texts seen at the last settle check, not applied yet: applied once they read the same again. */
  private pending: (string | Error)[] | undefined;

  /**
   * A change applies once the files have read the same for SETTLE_MS: a file written in several chunks
   * (a non-atomic write) is not served half-written, with the flags of its later chunks gone meanwhile.
   */
  private schedule(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reloading = this.reloading.then(async () => {
        const texts = await this.readTexts();
        if (this.unchanged(texts)) {
          this.pending = undefined;
          this.reloads++;
          return;
        }
        const settled = this.pending !== undefined && sameTexts(texts, this.pending);
        this.pending = texts;
        if (!settled) return this.schedule();
        this.pending = undefined;
        await this.reload(texts);
      });
    }, SETTLE_MS);
  }

  private unchanged(texts: (string | Error)[]): boolean {
    return texts.every((t) => typeof t === "string") && sameTexts(texts, this.lastTexts);
  }

  /**
   * Re-reads the files (or takes the texts read); applies them when all are valid, otherwise keeps the
   * last good definitions. Texts identical to those in force are not parsed again.
   */
  async reload(read?: (string | Error)[]): Promise<void> {
    const texts = read ?? (await this.readTexts());
    if (this.unchanged(texts)) {
      this.reloads++;
      return;
    }
    const r = await this.readAll(texts);
    this.reloads++;
    this.lastTexts = r.texts;
    // A broken edit (an error the definitions in force do not have) is refused as a whole.
    const fresh = [...r.errors].filter((e) => !this.knownErrors.has(e));
    if (!r.loaded || fresh.length > 0) {
      this.opts.log(`flags: reload refused, the last good definitions stay in force:`);
      for (const p of r.problems) this.opts.log(`  ${p}`);
      return;
    }
    this.knownErrors = r.errors;
    const before = new Map(
      this.flags
        .keys()
        .map((k) => [k, snapshot(this.flags.effective(k) ?? { state: "DISABLED", variants: {} })]),
    );
    const beforeDefs = new Map(this.flags.keys().map((k) => [k, JSON.stringify(this.flags.definition(k))]));
    this.flags.load(r.loaded);
    const ts = new Date().toISOString();
    const keys = new Set([...before.keys(), ...this.flags.keys()]);
    for (const key of keys) {
      const def = this.flags.definition(key);
      if (JSON.stringify(def) === beforeDefs.get(key)) continue;
      const after = def ? snapshot(this.flags.effective(key) ?? def) : null;
      await this.opts
        .audit({
          ts,
          server: this.name,
          flag: key,
          actor: "file",
          before: (before.get(key) as Record<string, unknown> | undefined) ?? null,
          after: after as Record<string, unknown> | null,
          reason: `${def ? this.flags.fileOf(key) : "removed from the files"} reloaded`,
        })
        .catch((err: unknown) =>
          this.opts.log(`flags: cannot audit the reload of ${key}: ${(err as Error).message}`),
        );
    }
    this.opts.log(`flags: reloaded ${this.flags.keys().length} flags`);
  }

  /** The token's name when the request carries one of the server's tokens. */
  private tokenName(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    const given = h?.startsWith("Bearer ")
      ? h.slice(7).trim()
      : ((req.headers["x-withstand-token"] ?? req.headers["x-api-key"]) as string | undefined);
    // The token as `--token` took it, NAME=TOKEN, is accepted too: one WITHSTAND_FLAGS_TOKEN serves both ends.
    return this.opts.tokens.find(
      (t) => sameToken(given, t.secret) || sameToken(given, `${t.name}=${t.secret}`),
    )?.name;
  }

  private corsHeaders(origin: string): Record<string, string> {
    return {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": "ETag",
      vary: "Origin",
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const guard = this.guard as Guard;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (!allowedHost(req, guard)) {
      send(res, 421, { errorDetails: `Host ${JSON.stringify(req.headers.host ?? "")} is not this server` });
      return;
    }
    const origin = req.headers.origin;
    const host = req.headers.host ?? "";
    const sameOrigin = origin === undefined || origin === `http://${host}` || origin === `https://${host}`;
    if (path.startsWith("/ofrep/") || path.startsWith(FLAGD_PREFIX)) {
      // Browsers may call OFREP (and flagd's evaluation API) from the origins the server was given, and from no other.
      if (!sameOrigin && !this.opts.corsOrigins.includes(origin as string)) {
        send(res, 403, { errorDetails: `cross-origin request from ${origin} refused (not a --cors-origin)` });
        return;
      }
      const cors = sameOrigin ? {} : this.corsHeaders(origin as string);
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          ...cors,
          "access-control-allow-methods": "GET, POST, OPTIONS",
          "access-control-allow-headers":
            "Content-Type, If-None-Match, Authorization, X-API-Key, Connect-Protocol-Version",
          "access-control-max-age": "600",
        });
        res.end();
        return;
      }
      if (!guard.loopback && this.tokenName(req) === undefined) {
        send(
          res,
          401,
          { errorDetails: "send Authorization: Bearer <token> (the server is off loopback)" },
          cors,
        );
        return;
      }
      if (path.startsWith(FLAGD_PREFIX)) {
        await handleFlagdApi(req, res, path, this.flags, cors);
        return;
      }
      const handled = await handleOfrep(
        req,
        res,
        path,
        this.flags,
        {
          minPollingIntervalMs: this.opts.minPollingIntervalMs ?? 500,
          requireTargetingKey: this.opts.requireTargetingKey ?? false,
        },
        cors,
      );
      if (!handled) send(res, 404, { errorDetails: `no OFREP endpoint ${path}` }, cors);
      return;
    }
    if (!sameOrigin) {
      send(res, 403, { error: `cross-origin request from ${origin} refused` });
      return;
    }
    await this.handleApi(req, res, path);
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const control = this.control as FlagControl;
    const guard = this.guard as Guard;
    if (path === "/api/flags" && req.method === "GET") {
      const actor = this.tokenName(req);
      if (!guard.loopback && actor === undefined)
        return send(res, 401, { error: "send Authorization: Bearer <token>" });
      // Whose token the request carries (null: none of the server's), so a client can check it before changing anything.
      return send(res, 200, { ...this.listing(), token: actor ?? null });
    }
    const lease = /^\/api\/flags\/([^/]+)\/leases\/([^/]+)$/.exec(path);
    if (lease) {
      // The lease id is an unguessable capability its holder chose: it alone renews or releases.
      const id = decodeURIComponent(lease[2] ?? "");
      if (!LEASE_ID.test(id)) return send(res, 400, { error: "expected a lease id" });
      if (req.method === "POST") {
        const body = parseJson(await readBody(req)) as { lease_ms?: unknown } | undefined;
        const ms = Number(body?.lease_ms);
        if (!Number.isFinite(ms)) return send(res, 400, { error: 'expected {"lease_ms": N}' });
        return control.renew(id, ms)
          ? send(res, 200, { renewed: true })
          : send(res, 404, { error: "no such lease" });
      }
      if (req.method === "DELETE")
        return (await control.release(id, "released"))
          ? send(res, 200, { released: true })
          : send(res, 404, { error: "no such lease" });
      return send(res, 405, { error: "use POST (renew) or DELETE (release)" });
    }
    const one = /^\/api\/flags\/([^/]+)$/.exec(path);
    if (one && req.method === "PATCH") {
      const actor = this.tokenName(req);
      if (actor === undefined)
        return send(res, 401, {
          error:
            this.opts.tokens.length === 0
              ? "this server was started without --token: its flags cannot be changed through the API"
              : "changing a flag needs one of the server's tokens: send Authorization: Bearer <token> (TOKEN or NAME=TOKEN, as given to --token)",
        });
      const text = await readBody(req);
      if (text === undefined)
        return send(
          res,
          413,
          { error: "request body larger than 1 MiB (expected {state?, variant?, weights?, reason?})" },
          { connection: "close" },
        );
      const body = parseJson(text);
      if (typeof body !== "object" || body === null || Array.isArray(body))
        return send(res, 400, { error: "expected a JSON object {state?, variant?, weights?, reason?}" });
      const b = body as Record<string, unknown>;
      const change: Change = {};
      if (b.state !== undefined) change.state = b.state as Change["state"] & string;
      const variant = b.variant ?? b.defaultVariant;
      if (variant !== undefined) {
        if (typeof variant !== "string") return send(res, 400, { error: "variant: expected a variant name" });
        change.defaultVariant = variant;
      }
      if (b.weights !== undefined) {
        if (typeof b.weights !== "object" || b.weights === null)
          return send(res, 400, { error: "weights: expected {variant: weight}" });
        change.weights = b.weights as Record<string, number>;
      }
      if (b.reason !== undefined) change.reason = String(b.reason);
      if (b.lease !== undefined) {
        const l = b.lease as { id?: unknown; ms?: unknown };
        change.lease = { id: String(l?.id ?? ""), ms: Number(l?.ms) };
      }
      try {
        const key = decodeURIComponent(one[1] ?? "");
        const r = await control.change(key, change, actor);
        return send(res, 200, { flag: key, actor, ...r });
      } catch (err) {
        if (err instanceof ChangeError) return send(res, err.status, { error: err.message });
        throw err;
      }
    }
    send(res, 404, { error: `no endpoint ${req.method} ${path}` });
  }

  /** Every flag as it stands: its file, state, variants, weights, what the API changed, its leases. */
  listing(): Record<string, unknown> {
    const control = this.control as FlagControl;
    return {
      server: this.name,
      revision: this.flags.revision,
      flags: this.flags.keys().map((key) => {
        const def = this.flags.effective(key);
        return {
          key,
          file: this.flags.fileOf(key),
          state: def?.state,
          defaultVariant: def?.defaultVariant ?? null,
          variants: def?.variants,
          weights: def ? (weightsOf(def) ?? null) : null,
          overridden: this.flags.overrides.get(key) ?? null,
          leases: control.leasesOf(key),
        };
      }),
    };
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.control?.close();
    await this.reloading;
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

/** How long the files must read the same before a change to them applies. */
const SETTLE_MS = 300;

function sameTexts(a: readonly (string | Error)[], b: readonly (string | Error)[]): boolean {
  return a.length === b.length && a.every((t, i) => typeof t === "string" && t === b[i]);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return undefined;
  }
}
