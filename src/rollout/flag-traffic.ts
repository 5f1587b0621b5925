import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { WithstandError } from "../core/errors.js";
import { type FlagTarget, flagWeights } from "../core/rollout.js";
import type { SafetyRegistry } from "../safety/registry.js";

/**
 * A flag rollout's traffic: the share of a flag's fractional that its variant gets, set through the
 * flag server's own API (the path `withstand flags set` takes, so every change is audited by the
 * server and seen by every OFREP client at its next evaluation).
 *
 * Steps are made under one lease, renewed by the run: a runner that dies without reverting (SIGKILL)
 * has its share undone by the server itself when the lease runs out, and the watchdog and `withstand
 * halt` release it. The rollout starts from 0% (a lasting change when the flag was elsewhere), so the
 * lease's undo is always back to 0%. The decision is lasting: a rollback sets 0%, a promotion 100%,
 * both without the lease, which is then released (a no-op, since the flag no longer holds its step).
 */

/** How long a step outlives its runner without renewal (the registry renews every second). */
const LEASE_MS = 3000;
/** The most candidate targeting keys evaluated to find a variant's synthetic users. */
const MAX_CANDIDATES = 5000;

export interface FlagFlip {
  ts: string;
  weight: number;
  weights: Record<string, number>;
  reason: string;
  /** Made under the run's lease (a step) rather than as a lasting change (start, decision). */
  leased: boolean;
}

interface Listed {
  key: string;
  defaultVariant?: string | null;
  variants?: Record<string, unknown>;
  weights?: Record<string, number> | null;
  leases?: { actor?: string; reason?: string }[];
}

/** The flag server refused the rollout's token: a problem with the run's input (exit 2), not a verdict. */
export class FlagCredentialsError extends WithstandError {
  constructor(message: string) {
    super("WS_FLAG_CHANGE", message);
    this.name = "FlagCredentialsError";
  }
}

const credentials = (server: string, loc: string, detail: string) =>
  new FlagCredentialsError(
    `${loc}: flag.token: credentials problem: ${server} refused the token (${detail}); expected one of the flag server's --token values (TOKEN or NAME=TOKEN), in flag.token or WITHSTAND_FLAGS_TOKEN`,
  );

export class FlagTraffic {
  readonly server: string;
  readonly baseline: string;
  private readonly token: string | undefined;
  private buckets: string[] = [];
  private readonly lease = randomBytes(24).toString("base64url");
  private faultId: string | undefined;
  /** Every change this rollout made to the flag, for the run record. */
  readonly flips: FlagFlip[] = [];
  weight = 0;

  constructor(
    private readonly target: FlagTarget,
    private readonly registry: SafetyRegistry,
    private readonly rollout: string,
    baseline: string,
  ) {
    this.server = target.server;
    this.baseline = baseline;
    this.token = target.token ?? process.env.WITHSTAND_FLAGS_TOKEN;
  }

  private get flagUrl(): string {
    return `${this.server}/api/flags/${encodeURIComponent(this.target.key)}`;
  }

  private headers(): Record<string, string> {
    return {
      "content-type": "application/json",
      "user-agent": "withstand-rollout",
      ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}),
    };
  }

  private async call(url: string, method: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers(),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new Error(`flag server ${this.server} unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const detail = (parsed as { error?: string } | undefined)?.error ?? text.trim();
      if (res.status === 401 || res.status === 403)
        throw credentials(this.server, this.target.loc, `${method} ${url}: ${res.status} ${detail}`);
      throw new Error(`flag server ${method} ${url}: ${res.status} ${detail}`);
    }
    return parsed;
  }

  /**
   * Checks the flag: it exists, and the variant and the baseline are buckets of its fractional.
   * Returns the baseline to use, and sets the flag to 0% if it is elsewhere.
   */
  static async open(target: FlagTarget, registry: SafetyRegistry, rollout: string): Promise<FlagTraffic> {
    const probe = new FlagTraffic(target, registry, rollout, "");
    if (probe.token === undefined)
      throw new Error(
        `${target.loc}: flag.token: is required (or WITHSTAND_FLAGS_TOKEN in the runner's environment): setting a flag's weights needs a token of the flag server`,
      );
    const listing = (await probe.call(`${target.server}/api/flags`, "GET").catch((err: unknown) => {
      if (err instanceof FlagCredentialsError) throw err;
      throw new Error(`${target.loc}: flag.server: ${(err as Error).message}`, { cause: err });
    })) as { flags?: Listed[]; token?: string | null } | undefined;
    // The server names the token's holder (null: not one of its tokens): a wrong token fails the start.
    if (listing?.token === null)
      throw credentials(target.server, target.loc, "not one of its tokens: it could not change the flag");
    const flags = listing?.flags ?? [];
    const flag = flags.find((f) => f.key === target.key);
    if (!flag)
      throw new Error(
        `${target.loc}: flag.key: no flag ${JSON.stringify(target.key)} on ${target.server} (expected one of ${flags.map((f) => f.key).join(", ")})`,
      );
    // Another run holds the flag: starting would undo its share (and its undo would then restore ours).
    const holder = flag.leases?.[0];
    if (holder)
      throw new Error(
        `${target.loc}: flag.key: ${target.key} on ${target.server} is held by a lease of ${holder.actor ?? "?"}${holder.reason ? ` (${holder.reason})` : ""} (expected no other run moving the flag: wait for it to end)`,
      );
    const buckets = Object.keys(flag.weights ?? {});
    if (buckets.length === 0)
      throw new Error(
        `${target.loc}: flag.key: ${target.key} has no fractional targeting to weigh (expected a targeting rule with "fractional" naming ${target.variant})`,
      );
    const baseline = target.baseline ?? flag.defaultVariant ?? undefined;
    for (const [field, v] of [
      ["variant", target.variant],
      ["baseline", baseline],
    ] as const)
      if (v === undefined || !buckets.includes(v))
        throw new Error(
          `${target.loc}: flag.${field}: ${v === undefined ? `${target.key} has no default variant` : `${JSON.stringify(v)} is not a bucket of ${target.key}'s fractional`} (expected one of ${buckets.join(", ")})`,
        );
    const traffic = new FlagTraffic(target, registry, rollout, baseline as string);
    traffic.buckets = buckets;
    if (!isDeepStrictEqual(flag.weights, traffic.weightsAt(0)))
      await traffic.lasting(0, `starts ${target.variant} at 0%`);
    return traffic;
  }

  weightsAt(weight: number): Record<string, number> {
    return flagWeights(this.buckets, this.target.variant, this.baseline, weight);
  }

  private flipped(weight: number, reason: string, leased: boolean): void {
    this.weight = weight;
    this.flips.push({
      ts: new Date().toISOString(),
      weight,
      weights: this.weightsAt(weight),
      reason,
      leased,
    });
  }

  /** A step: the variant's share under the run's lease. */
  async step(weight: number, reason: string): Promise<void> {
    const body = {
      weights: this.weightsAt(weight),
      reason: `rollout ${this.rollout}: ${reason}`,
      lease: { id: this.lease, ms: LEASE_MS },
    };
    if (this.faultId === undefined) {
      const leaseUrl = `${this.flagUrl}/leases/${this.lease}`;
      const record = await this.registry.inject(
        {
          kind: "flag",
          activity: `rollout ${this.rollout}`,
          targets: [
            { kind: "flag", id: this.target.key, label: `${this.target.variant} share via ${this.server}` },
          ],
          // The lease id is the capability: DELETE undoes the step without the token (halt, the watchdog).
          revert: { type: "http", method: "DELETE", url: leaseUrl },
        },
        async () => {
          await this.call(this.flagUrl, "PATCH", body);
        },
        { renew: async () => void (await this.call(leaseUrl, "POST", { lease_ms: LEASE_MS })) },
      );
      this.faultId = record.id;
    } else await this.call(this.flagUrl, "PATCH", body);
    this.flipped(weight, reason, true);
  }

  /** The decision (or the start): a lasting share, then the lease released. */
  async lasting(weight: number, reason: string): Promise<void> {
    await this.call(this.flagUrl, "PATCH", {
      weights: this.weightsAt(weight),
      reason: `rollout ${this.rollout}: ${reason}`,
    });
    this.flipped(weight, reason, false);
    await this.release(reason);
  }

  /** Releases the lease (the registry's revert: the server undoes the step unless the flag moved since). */
  async release(reason: string): Promise<void> {
    const id = this.faultId;
    this.faultId = undefined;
    if (id !== undefined) await this.registry.revert(id, reason);
  }

  /**
   * Up to `n` targeting keys the flag server now evaluates to `variant`, found by asking its OFREP
   * endpoint about candidate keys in order (the same keys each time, so a measurement's users are stable).
   */
  async keysFor(variant: string, n: number): Promise<string[]> {
    const found: string[] = [];
    const url = `${this.server}/ofrep/v1/evaluate/flags/${encodeURIComponent(this.target.key)}`;
    for (let i = 0; i < MAX_CANDIDATES && found.length < n; i += 32) {
      const batch = Array.from({ length: Math.min(32, MAX_CANDIDATES - i) }, (_, j) => `synthetic-${i + j}`);
      const variants = await Promise.all(
        batch.map(async (key) => {
          const body = (await this.call(url, "POST", { context: { targetingKey: key } })) as
            | { variant?: string }
            | undefined;
          return body?.variant;
        }),
      );
      batch.forEach((key, j) => {
        if (variants[j] === variant && found.length < n) found.push(key);
      });
    }
    return found;
  }
}
