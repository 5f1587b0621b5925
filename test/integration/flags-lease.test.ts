/**
 * A leased flip outlives its holder by at most its lease: a runner that renews keeps its flip, and
 * once it is SIGKILLed (no revert, no watchdog) the flag server undoes the flip by itself and audits it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { type FlagsServer, ofrep, startFlags, TOKEN } from "../helpers/flags.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, until } from "../helpers/processes.js";

let server: FlagsServer;
let env: NodeJS.ProcessEnv;
before(async () => {
  const iso = isolatedEnv();
  env = iso.env;
  server = await startFlags(iso.dir, env);
});
after(() => server.stop());

/** A runner holding a 3 s lease on a flip, renewing it every second as the flag fault does. */
const HOLDER = `
const [url, token] = process.argv.slice(1);
const id = "holder-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
const res = await fetch(url + "/api/flags/recommendations", {
  method: "PATCH",
  headers: { "content-type": "application/json", authorization: "Bearer " + token },
  body: JSON.stringify({ variant: "off", reason: "game day", lease: { id, ms: 3000 } }),
});
if (!res.ok) { console.error(await res.text()); process.exit(1); }
console.log("flipped");
let n = 0;
setInterval(async () => {
  const r = await fetch(url + "/api/flags/recommendations/leases/" + id, { method: "POST", body: JSON.stringify({ lease_ms: 3000 }) });
  console.log("renewed " + ++n + " " + r.status);
}, 1000);
`;

const variant = async () =>
  (await ofrep(server.url, "/ofrep/v1/evaluate/flags/recommendations", { context: {} })).body?.variant;

it("keeps a renewed flip, and undoes it by itself within 5 s of its holder's SIGKILL", async (t) => {
  const holder = spawn(process.execPath, ["--input-type=module", "-e", HOLDER, server.url, TOKEN], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(async () => {
    holder.kill("SIGKILL");
    await exited(holder);
  });
  let out = "";
  holder.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  await until(() => out.includes("flipped"), 10_000, "the flip");
  assert.equal(await variant(), "off");
  // Past the 3 s lease, kept alive by renewals alone.
  await until(() => /renewed 5 200/.test(out), 15_000, "five renewals");
  assert.equal(await variant(), "off", "a renewed lease keeps the flip");
  holder.kill("SIGKILL");
  await exited(holder);
  const killedAt = Date.now();
  await until(
    async () => (await variant()) === "on",
    5000,
    "the server to undo the flip of a SIGKILLed holder",
  );
  t.diagnostic(`flip undone ${Date.now() - killedAt} ms after the holder's SIGKILL (lease 3 s)`);
  const log = await runCli(["flags", "log", "recommendations", "--json"], { env });
  const [undo, flip] = (JSON.parse(log.stdout) as { changes: Record<string, unknown>[] }).changes;
  assert.equal(flip?.actor, "ops");
  assert.equal(undo?.actor, "lease");
  assert.match(String(undo?.reason), /lease of ops expired unrenewed: change undone \(game day\)/);
  assert.deepEqual(undo?.after, { state: "ENABLED", defaultVariant: "on" });
});
