import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startCli, waitForOutput } from "./cli.js";
import { exited } from "./processes.js";

export const TOKEN = "ops-token-0123456789abcdef";

/** A flag file with every kind of rule flagd evaluates: static, if/in, sem_ver, starts/ends_with, $ref, fractional. */
export const FLAGS = {
  $schema: "https://flagd.dev/schema/v0/flags.json",
  metadata: { flagSetId: "shop", version: 3 },
  $evaluators: {
    staff: { ends_with: [{ var: "email" }, "@shop.example"] },
  },
  flags: {
    "static-bool": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
    "disabled-bool": { state: "DISABLED", variants: { on: true, off: false }, defaultVariant: "on" },
    recommendations: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
    "new-pricing": {
      state: "ENABLED",
      variants: { on: true, off: false },
      defaultVariant: "off",
      targeting: {
        fractional: [
          ["on", 20],
          ["off", 80],
        ],
      },
    },
    color: {
      state: "ENABLED",
      variants: { red: "red", blue: "blue", green: "green" },
      defaultVariant: "red",
      targeting: {
        if: [{ $ref: "staff" }, "blue", { in: [{ var: "country" }, ["NO", "SE", "DK"]] }, "green", null],
      },
      metadata: { owner: "web" },
    },
    "max-items": {
      state: "ENABLED",
      variants: { small: 10, large: 100, huge: 1000.5 },
      defaultVariant: "small",
      targeting: {
        fractional: [
          { cat: [{ var: "$flagd.flagKey" }, { var: "tier" }] },
          ["small", 1],
          ["large", 2],
          ["huge", 1],
        ],
      },
    },
    "app-version": {
      state: "ENABLED",
      variants: { new: "new", old: "old" },
      defaultVariant: "old",
      targeting: { if: [{ sem_ver: [{ var: "version" }, ">=", "2.1.0"] }, "new", null] },
    },
    "beta-ui": {
      state: "ENABLED",
      variants: { yes: { theme: "dark", beta: true }, no: { theme: "light", beta: false } },
      defaultVariant: null,
      targeting: {
        if: [
          { starts_with: [{ var: "email" }, "beta"] },
          "yes",
          { "==": [{ var: "tier" }, "gold"] },
          {
            fractional: [
              ["yes", 50],
              ["no", 50],
            ],
          },
          null,
        ],
      },
    },
    "no-default": {
      state: "ENABLED",
      variants: { a: "a", b: "b" },
      targeting: { if: [{ ">": [{ var: "age" }, 40] }, "b", null] },
    },
    "bad-variant": {
      state: "ENABLED",
      variants: { a: "a", b: "b" },
      defaultVariant: "a",
      targeting: { if: [{ "==": [{ var: "tier" }, "silver"] }, "zzz", "b"] },
    },
  },
};

export interface FlagsServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Writes `flags` to dir/flags.json (unless `files` are given) and starts the real `withstand flags serve` on a free port. */
export async function startFlags(
  dir: string,
  env: NodeJS.ProcessEnv,
  opts: { files?: string[]; args?: string[]; flags?: unknown } = {},
): Promise<FlagsServer> {
  const files = opts.files ?? [join(dir, "flags.json")];
  if (!opts.files) writeFileSync(files[0] as string, JSON.stringify(opts.flags ?? FLAGS, null, 2));
  const child = startCli(
    ["flags", "serve", ...files, "--port", "0", "--token", `ops=${TOKEN}`, ...(opts.args ?? [])],
    { env },
  );
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  try {
    const out = await waitForOutput(child, /withstand flags on (\S+)/);
    const url = /withstand flags on (\S+)/.exec(out)?.[1] ?? "";
    return {
      url,
      child,
      stderr: () => err,
      stop: async () => {
        child.kill("SIGTERM");
        await exited(child);
      },
    };
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n${err}`);
  }
}

export async function ofrep(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** PATCHes a flag with `token` ("" sends none). */
export async function patchFlag(url: string, key: string, body: unknown, token = TOKEN) {
  const res = await fetch(`${url}/api/flags/${key}`, {
    method: "PATCH",
    headers: {
      "content-type": "application/json",
      ...(token !== "" ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
