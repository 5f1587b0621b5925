import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { isAlive } from "../platform/processes.js";
import { ensurePrivateDir, stateDir } from "../safety/state.js";

/**
 * How `withstand rollout status|promote|abort` reach a running rollout: each rollout listens on a Unix
 * socket in the machine's state directory (only its user can open it) and keeps a status file beside
 * it, so a listing needs no connection and a crashed rollout is recognised by its dead pid.
 */
export interface RolloutStatus {
  name: string;
  runId: string;
  pid: number;
  phase: "Starting" | "Progressing" | "Paused" | "Promoted" | "RolledBack" | "Aborted";
  message: string;
  step: number;
  steps: string[];
  weight: number;
  router: string;
  stable: { url: string; requests: number; errors: number };
  canary: { url: string; requests: number; errors: number };
  baseline?: { url: string; requests: number; errors: number };
  /** A flag rollout: its flag, variants, and every change it made to the flag's weights. */
  flag?: {
    server: string;
    key: string;
    variant: string;
    baseline: string;
    flips: { ts: string; weight: number; weights: Record<string, number>; reason: string; leased: boolean }[];
  };
  analyses: {
    name: string;
    step: number;
    phase: string;
    measurements: { phase: string; reason: string; score?: number | undefined }[];
  }[];
  startedAt: string;
  updatedAt: string;
}

export interface ControlHandlers {
  status(): RolloutStatus;
  promote(full: boolean, skipAnalysis: boolean): string;
  abort(reason: string): string;
}

/** Rollout control sockets and status files live in the safety state, under the same ownership rules. */
function dir(): string {
  const d = join(stateDir(), "rollouts");
  ensurePrivateDir(stateDir());
  ensurePrivateDir(d);
  return d;
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 60);

export class ControlServer {
  private server: Server | undefined;
  readonly socket: string;
  private readonly statusFile: string;

  constructor(
    private readonly name: string,
    private readonly handlers: ControlHandlers,
  ) {
    this.socket = join(dir(), `${safeName(name)}.sock`);
    this.statusFile = join(dir(), `${safeName(name)}.json`);
  }

  async start(): Promise<void> {
    const other = readStatus(this.statusFile);
    if (other && other.pid !== process.pid && isAlive(other.pid))
      throw new Error(
        `a rollout named ${this.name} is already running (pid ${other.pid}); abort it or rename this one`,
      );
    rmSync(this.socket, { force: true });
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://rollout");
      const reply = (code: number, body: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(`${JSON.stringify(body)}\n`);
      };
      if (req.method === "GET" && url.pathname === "/status") return reply(200, this.handlers.status());
      if (req.method === "POST" && url.pathname === "/promote")
        return reply(200, {
          message: this.handlers.promote(
            url.searchParams.get("full") === "1",
            url.searchParams.get("skip-analysis") === "1",
          ),
        });
      if (req.method === "POST" && url.pathname === "/abort")
        return reply(200, {
          message: this.handlers.abort(url.searchParams.get("reason") ?? "aborted by the user"),
        });
      reply(404, { error: "expected GET /status, POST /promote or POST /abort" });
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socket, () => resolve());
    });
    this.write();
  }

  write(): void {
    writeFileSync(this.statusFile, JSON.stringify(this.handlers.status()));
  }

  async close(): Promise<void> {
    this.write();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.socket, { force: true });
    rmSync(this.statusFile, { force: true });
  }
}

function readStatus(file: string): RolloutStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RolloutStatus;
  } catch {
    return undefined;
  }
}

/** Rollouts running on this machine (by their status files; a dead pid is cleaned up). */
export function activeRollouts(): RolloutStatus[] {
  const d = dir();
  const out: RolloutStatus[] = [];
  for (const f of readdirSync(d)) {
    if (!f.endsWith(".json")) continue;
    const s = readStatus(join(d, f));
    if (!s) continue;
    if (!isAlive(s.pid)) {
      rmSync(join(d, f), { force: true });
      rmSync(join(d, f.replace(/\.json$/, ".sock")), { force: true });
      continue;
    }
    out.push(s);
  }
  return out;
}

/** Sends one command to a running rollout over its socket. */
export function sendControl(
  name: string,
  method: "GET" | "POST",
  path: string,
): Promise<{ status: number; body: unknown }> {
  const socketPath = join(dir(), `${safeName(name)}.sock`);
  if (!existsSync(socketPath)) return Promise.reject(new Error(`no rollout named ${name} is running`));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: 5000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
      });
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`rollout ${name} did not answer within 5s`)));
    req.on("error", reject);
    req.end();
  });
}
