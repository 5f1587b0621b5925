import { isDeepStrictEqual } from "node:util";
import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import type { FlagChange } from "../store/flag-audit.js";
import { applyOverride, type FlagOverride, type FlagSet, snapshot, weightsOf } from "./flagset.js";

/**
 * Changes to flags through the API, each audited, and leases: a change made with a lease is undone
 * by the server itself when its holder stops renewing it (a SIGKILLed runner's kill-switch flip flips
 * back). Undoing restores only what the lease set and nobody changed since.
 */

export interface Change {
  state?: "ENABLED" | "DISABLED";
  defaultVariant?: string;
  weights?: Record<string, number>;
  reason?: string;
  /** A lease chosen by the caller (an unguessable id, so the id alone may renew or release it). */
  lease?: { id: string; ms: number };
}

interface Lease {
  key: string;
  actor: string;
  reason: string;
  set: FlagOverride;
  previous: FlagOverride;
  expiresAt: number;
}

export class ChangeError extends WithstandError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("WS_FLAG_CHANGE", message, EXIT.invalid);
    this.name = "ChangeError";
  }
}

export const LEASE_ID = /^[A-Za-z0-9_-]{24,128}$/;
export const MAX_LEASE_MS = 10 * 60_000;

const FIELDS = ["state", "defaultVariant", "weights"] as const;

export class FlagControl {
  private readonly leases = new Map<string, Lease>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly flags: FlagSet,
    private readonly server: string,
    private readonly audit: (c: FlagChange) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.expire(), 200);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Checks a change against the flag's definition; throws ChangeError(400/404) with what was expected. */
  private validate(key: string, c: Change): void {
    const def = this.flags.definition(key);
    if (!def)
      throw new ChangeError(
        404,
        `no flag ${JSON.stringify(key)} (expected one of ${this.flags.keys().join(", ")})`,
      );
    if (c.state === undefined && c.defaultVariant === undefined && c.weights === undefined)
      throw new ChangeError(400, "expected at least one of state, variant (defaultVariant) or weights");
    if (c.state !== undefined && c.state !== "ENABLED" && c.state !== "DISABLED")
      throw new ChangeError(400, `state: got ${JSON.stringify(c.state)} (expected ENABLED or DISABLED)`);
    if (c.defaultVariant !== undefined && !(c.defaultVariant in def.variants))
      throw new ChangeError(
        400,
        `variant: unknown variant ${JSON.stringify(c.defaultVariant)} of ${key} (expected one of ${Object.keys(def.variants).join(", ")})`,
      );
    if (c.weights !== undefined) {
      const current = weightsOf(def);
      if (!current) throw new ChangeError(400, `weights: ${key} has no fractional targeting to weigh`);
      for (const [v, w] of Object.entries(c.weights)) {
        if (!(v in current))
          throw new ChangeError(
            400,
            `weights: ${JSON.stringify(v)} is not a bucket of ${key}'s fractional (expected ${Object.keys(current).join(", ")})`,
          );
        if (typeof w !== "number" || !Number.isInteger(w) || w < 0)
          throw new ChangeError(400, `weights.${v}: got ${JSON.stringify(w)} (expected a whole number >= 0)`);
      }
      const merged = { ...current, ...this.flags.overrides.get(key)?.weights, ...c.weights };
      const total = Object.values(merged).reduce((a, b) => a + b, 0);
      if (total <= 0 || !Number.isSafeInteger(total))
        throw new ChangeError(
          400,
          `weights: ${key}'s weights would sum to ${total} (expected a whole sum above 0 and at most ${Number.MAX_SAFE_INTEGER})`,
        );
    }
    if (c.lease !== undefined) {
      if (!LEASE_ID.test(c.lease.id))
        throw new ChangeError(400, "lease.id: expected 24 to 128 letters, digits, - or _");
      if (!Number.isInteger(c.lease.ms) || c.lease.ms < 100 || c.lease.ms > MAX_LEASE_MS)
        throw new ChangeError(
          400,
          `lease.ms: expected a whole number of milliseconds from 100 to ${MAX_LEASE_MS}`,
        );
      const held = this.leases.get(c.lease.id);
      // The holder of a lease may move what it set (a flag rollout's next step); another flag may not.
      if (held && held.key !== key) throw new ChangeError(409, "lease.id: already in use");
      // One lease holder at a time per flag: a second one would record the first one's step as what
      // to restore, and the two undo each other's changes.
      const other = this.holderOf(key, c.lease.id);
      if (other)
        throw new ChangeError(
          409,
          `${key} is held by a lease of ${other} (expected no other lease holder on the flag until it ends)`,
        );
    }
  }

  /** Who holds a live lease on a flag other than `except` (its actor and reason), if anyone. */
  holderOf(key: string, except?: string): string | undefined {
    const now = this.now();
    for (const [id, l] of this.leases)
      if (id !== except && l.key === key && l.expiresAt > now)
        return l.reason ? `${l.actor} (${l.reason})` : l.actor;
    return undefined;
  }

  /** Applies a change made by `actor` (a token's name), audits it, and returns the flag before and after. */
  async change(key: string, c: Change, actor: string): Promise<{ before: unknown; after: unknown }> {
    this.validate(key, c);
    const prior = { ...this.flags.overrides.get(key) };
    const set: FlagOverride = {};
    if (c.state !== undefined) set.state = c.state;
    if (c.defaultVariant !== undefined) set.defaultVariant = c.defaultVariant;
    if (c.weights !== undefined) set.weights = { ...prior.weights, ...c.weights };
    const reason = c.reason ?? "";
    if (c.lease) {
      // A lease moved again keeps what it restores for the fields it already held: its undo goes back
      // to the state before its first change, not to its own previous step.
      const held = this.leases.get(c.lease.id);
      const previous: FlagOverride = { ...held?.previous };
      for (const f of FIELDS)
        if (f in set && !(held && f in held.set) && prior[f] !== undefined)
          Object.assign(previous, { [f]: prior[f] });
      this.leases.set(c.lease.id, {
        key,
        actor,
        reason,
        set: { ...held?.set, ...set },
        previous,
        expiresAt: this.now() + c.lease.ms,
      });
    }
    return this.apply(key, { ...prior, ...set }, actor, reason);
  }

  /**
   * Audits, then applies. A change through the API that cannot be audited is not made (the caller
   * gets the store's error); undoing a lease always happens, audited or not: safety first.
   */
  private async apply(key: string, next: FlagOverride, actor: string, reason: string, undo = false) {
    const def = this.flags.definition(key);
    if (!def) throw new ChangeError(404, `no flag ${JSON.stringify(key)}`);
    const before = snapshot(this.flags.effective(key) ?? def);
    const after = snapshot(applyOverride(def, next));
    const audited = this.audit({
      ts: new Date(this.now()).toISOString(),
      server: this.server,
      flag: key,
      actor,
      before: { ...before },
      after: { ...after },
      reason,
    });
    if (undo) {
      this.flags.setOverride(key, next);
      // Undone either way; the audit callback reports its own failure.
      await audited.catch(() => undefined);
    } else {
      await audited;
      this.flags.setOverride(key, next);
    }
    return { before, after };
  }

  /** Extends a lease; false when there is no such lease (it expired or was released). */
  renew(id: string, ms: number): boolean {
    const lease = this.leases.get(id);
    if (!lease) return false;
    lease.expiresAt = this.now() + Math.min(Math.max(ms, 100), MAX_LEASE_MS);
    return true;
  }

  /** Undoes what a lease set (the part nobody changed since); false when there is no such lease. */
  async release(id: string, why: "released" | "expired"): Promise<boolean> {
    const lease = this.leases.get(id);
    if (!lease) return false;
    this.leases.delete(id);
    const current = { ...this.flags.overrides.get(lease.key) };
    const next: FlagOverride = { ...current };
    let changed = false;
    for (const f of FIELDS) {
      if (!(f in lease.set) || !isDeepStrictEqual(current[f], lease.set[f])) continue;
      changed = true;
      if (lease.previous[f] === undefined) delete next[f];
      else Object.assign(next, { [f]: lease.previous[f] });
    }
    if (!changed) return true;
    // A flag missing from the files right now (an edit in progress) still loses the lease's change:
    // otherwise it would come back with the flag, held by nobody, for good.
    if (!this.flags.has(lease.key)) {
      this.flags.setOverride(lease.key, next);
      return true;
    }
    const what = lease.reason ? ` (${lease.reason})` : "";
    await this.apply(
      lease.key,
      next,
      why === "expired" ? "lease" : lease.actor,
      why === "expired"
        ? `lease of ${lease.actor} expired unrenewed: change undone${what}`
        : `lease released: change undone${what}`,
      true,
    );
    return true;
  }

  private async expire(): Promise<void> {
    const now = this.now();
    for (const [id, lease] of [...this.leases])
      if (lease.expiresAt <= now) await this.release(id, "expired").catch(() => false);
  }

  /** The leases held on a flag, for the listing. */
  leasesOf(key: string): { actor: string; reason: string; expiresInMs: number; set: FlagOverride }[] {
    return [...this.leases.values()]
      .filter((l) => l.key === key)
      .map((l) => ({
        actor: l.actor,
        reason: l.reason,
        expiresInMs: Math.max(0, l.expiresAt - this.now()),
        set: l.set,
      }));
  }
}
