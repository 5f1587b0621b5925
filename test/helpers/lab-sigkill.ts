import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { finished, startCli, waitForOutput } from "./cli.js";
import { labUp, namespacesOf, run, writeLab } from "./lab.js";
import { isolatedEnv } from "./paths.js";

export interface KillResult {
  id: string;
  /** How long after the SIGKILL nothing of the lab was left (ms). */
  cleanMs: number;
  faultsActive: number;
}

/** Whether a pid is gone (or a zombie waiting for its new parent to reap it). */
function gone(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/**
 * One round: a lab up, three faults injected into it (partition, bandwidth, zone-down with frozen
 * processes) by three runners, all runners SIGKILLed `delayMs` after `waitFor` of the faults were in
 * force (the others may be mid-injection); then, checked independently with ip, nft and tc, nothing of it is left.
 */
export async function killRound(waitFor: number, delayMs: number, keepLab = false): Promise<KillResult> {
  const { dir, env } = isolatedEnv();
  const rootNft = await run("nft", ["list", "tables"]);
  const rootTc = await run("tc", ["qdisc", "show"]);
  const l = writeLab(dir, ["a", "b"]);
  const lab = await labUp(l.file, env);
  const id = lab.info.id;
  const pids = (await Promise.all(lab.info.hosts.map((h) => run("ip", ["netns", "pids", h.ns]))))
    .join("\n")
    .split("\n")
    .filter(Boolean)
    .map(Number);
  const runners: ChildProcess[] = [lab.child];
  let active = 0;
  let reached: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => {
    reached = resolve;
  });
  if (waitFor === 0) reached();
  for (const attrs of [
    ["partition", "--between", "[a, b]"],
    ["bandwidth", "--host", "a1", "--rate", "1mbit"],
    ["zone-down", "--zone", "b", "--freeze", "true"],
  ]) {
    const c = startCli(["inject", ...attrs, "--lab", l.name], { env });
    runners.push(c);
    void finished(c);
    waitForOutput(c, "injected").then(
      () => {
        if (++active >= waitFor) reached();
      },
      () => undefined,
    );
  }
  await enough;
  await new Promise((r) => setTimeout(r, delayMs));
  const killedAt = performance.now();
  // keepLab: only the injectors die; their watchdogs must undo the faults inside the living lab.
  for (const c of keepLab ? runners.slice(1) : runners) c.kill("SIGKILL");
  const faultsActive = active;
  if (keepLab) {
    for (;;) {
      const nft = await run("ip", ["netns", "exec", lab.info.hub, "nft", "list", "tables"]);
      const tc = await run("tc", ["-n", lab.ns("a1"), "qdisc", "show", "dev", "eth0"]);
      const frozen = pids.some((p) => {
        try {
          return /\) T /.test(readFileSync(`/proc/${p}/stat`, "utf8"));
        } catch {
          return false;
        }
      });
      if (!/wsf-/.test(nft) && !/htb/.test(tc) && !frozen) break;
      if (performance.now() - killedAt > 20_000)
        throw new Error(`faults in lab ${id} still in force 20 s after their runners' SIGKILL: ${nft} ${tc}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const revertedMs = performance.now() - killedAt;
    await lab.down();
    if ((await namespacesOf(id)).length > 0) throw new Error(`lab ${id} left namespaces after lab down`);
    return { id, cleanMs: revertedMs, faultsActive };
  }
  // The watchdogs revert; wait (bounded) until nothing of the lab is left.
  for (;;) {
    const left = await namespacesOf(id);
    const etc = existsSync(`/etc/netns/ws-${id}-h0`) || existsSync(`/etc/netns/ws-${id}-h1`);
    if (left.length === 0 && !etc && pids.every(gone)) break;
    if (performance.now() - killedAt > 20_000)
      throw new Error(
        `lab ${id} still there 20 s after SIGKILL: ${left.join(", ")}${etc ? " /etc/netns" : ""}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  const cleanMs = performance.now() - killedAt;
  // The machine's own namespace was never touched.
  if ((await run("nft", ["list", "tables"])) !== rootNft)
    throw new Error("the root namespace's nft tables changed");
  if ((await run("tc", ["qdisc", "show"])) !== rootTc) throw new Error("the root namespace's qdiscs changed");
  return { id, cleanMs, faultsActive };
}
