import { spawn } from "node:child_process";
import { request } from "undici";
import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import type { ProviderState } from "../core/pact/pact-file.js";

/** How provider states are set up and torn down before and after each interaction. */
export type StateHandler =
  | { kind: "none" }
  | { kind: "url"; url: string; teardown: boolean }
  | { kind: "command"; command: string; teardown: boolean };

export class StateChangeError extends WithstandError {
  constructor(message: string) {
    super("WS_PACT_STATE", message, EXIT.failed);
    this.name = "StateChangeError";
  }
}

const TIMEOUT_MS = 30_000;

async function viaUrl(url: string, state: ProviderState, action: "setup" | "teardown", signal?: AbortSignal) {
  // Pact's state-change protocol: a POST of {state, params, action}; a JSON map in the answer feeds
  // the ProviderState generators.
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ state: state.name, states: [state.name], params: state.params, action }),
    signal,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const text = await res.body.text();
  if (res.statusCode >= 400)
    throw new StateChangeError(
      `the state change URL answered ${res.statusCode} for "${state.name}" (${action})`,
    );
  return parseValues(text);
}

function parseValues(text: string): Record<string, unknown> {
  const t = text.trim();
  if (!t.startsWith("{")) return {};
  try {
    const v = JSON.parse(t) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function viaCommand(
  command: string,
  state: ProviderState,
  action: "setup" | "teardown",
  signal?: AbortSignal,
) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      env: {
        ...process.env,
        PACT_STATE: state.name,
        PACT_STATE_PARAMS: JSON.stringify(state.params),
        PACT_STATE_ACTION: action,
      },
      stdio: ["ignore", "pipe", "pipe"],
      signal,
      timeout: TIMEOUT_MS,
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      if (out.length < 1_000_000) out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      if (err.length < 10_000) err += b.toString();
    });
    child.on("error", (e) => reject(new StateChangeError(`the state command failed to start: ${e.message}`)));
    child.on("close", (code, sig) => {
      if (code === 0) resolve(parseValues(out));
      else
        reject(
          new StateChangeError(
            `the state command exited ${sig ?? code} for "${state.name}" (${action})${err ? `: ${err.trim().slice(0, 300)}` : ""}`,
          ),
        );
    });
  });
}

/** Sets up (or tears down) each state in order; the values they return, merged. */
export async function changeStates(
  handler: StateHandler,
  states: readonly ProviderState[],
  action: "setup" | "teardown",
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  if (handler.kind === "none" || (action === "teardown" && !handler.teardown)) return values;
  for (const s of action === "teardown" ? [...states].reverse() : states) {
    const v =
      handler.kind === "url"
        ? await viaUrl(handler.url, s, action, signal)
        : await viaCommand(handler.command, s, action, signal);
    Object.assign(values, s.params, v);
  }
  return values;
}
